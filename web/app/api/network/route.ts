import { serverServices } from "../../lib/server-services.ts";

export async function GET(): Promise<Response> {
  const { network } = await serverServices();
  return Response.json(await network.status(), { headers: { "cache-control": "no-store" } });
}
