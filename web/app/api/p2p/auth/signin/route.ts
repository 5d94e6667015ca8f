import { z } from "zod";
import { json, readBody, sessionCookie, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({ email: z.string().max(200), password: z.string().max(200) });

/** Rate-limited per account and per client (server/p2p/auth.ts): 429 with Retry-After. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p, client }) => {
    const input = await readBody(request, body);
    const session = await p2p.auth.signIn(input, client);
    return json({ user: session.user }, 200, { "set-cookie": sessionCookie(p2p, session.token, session.expiresAt) });
  });
}
