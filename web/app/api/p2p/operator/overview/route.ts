import { json, withP2P } from "../../../../lib/p2p-http.ts";

export async function GET(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p }) => json(await p2p.desk.operatorOverview()));
}
