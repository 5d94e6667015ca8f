import { json, withP2P } from "../../../lib/p2p-http.ts";

export async function GET(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) =>
    json({ user, balances: await p2p.desk.balances(user!.id) }),
  );
}
