import { z } from "zod";
import { json, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.union([z.object({ code: z.string().regex(/^\d{6}$/, "a 6-digit code") }), z.object({ resend: z.literal(true) })]);

export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    if ("resend" in input) await p2p.auth.resendVerification(user!.id);
    else await p2p.auth.verifyEmail(user!.id, input.code);
    return json({ user: await p2p.auth.getUser(user!.id) });
  });
}
