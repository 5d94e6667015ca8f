import { healthHttpStatus } from "../../../server/health.ts";
import { serverServices } from "../../lib/server-services.ts";

export async function GET(): Promise<Response> {
  const { health } = await serverServices();
  const report = await health.check();
  return Response.json(report, {
    status: healthHttpStatus(report),
    headers: { "cache-control": "no-store" },
  });
}
