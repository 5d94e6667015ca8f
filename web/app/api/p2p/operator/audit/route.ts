import { json, withP2P } from "../../../../lib/p2p-http.ts";

/** Operator: the newest entries of the append-only audit log of money actions. */
export async function GET(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p }) => json({ audit: await p2p.operators.auditLog() }));
}
