import { z } from "zod";
import { json, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({ email: z.email().max(200), password: z.string().min(10, "at least 10 characters").max(200) });

/** Rate-limited per client; the verification code per address (server/p2p/auth.ts). */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p, client }) => {
    const input = await readBody(request, body);
    const user = await p2p.auth.signUp(input, client);
    return json({ user, next: "a verification code was sent to your e-mail" }, 201);
  });
}
