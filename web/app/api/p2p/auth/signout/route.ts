import { cookies } from "next/headers";
import { clearedSessionCookie, json, SESSION_COOKIE, withP2P } from "../../../../lib/p2p-http.ts";

export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p }) => {
    const token = (await cookies()).get(SESSION_COOKIE)?.value;
    if (token) await p2p.auth.signOut(token);
    return json({ ok: true }, 200, { "set-cookie": clearedSessionCookie() });
  });
}
