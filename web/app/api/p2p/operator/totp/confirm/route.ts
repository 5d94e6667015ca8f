import { z } from "zod";
import { json, readBody, withP2P } from "../../../../../lib/p2p-http.ts";

const body = z.object({ code: z.string().regex(/^\d{6}$/, "a 6-digit code from the authenticator app") });

/** Operator: confirms authenticator enrolment with a first code (rate-limited, single-use). */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    await p2p.operators.confirmEnrolment(user, input.code);
    return json({ totp: await p2p.operators.status(user!) });
  });
}
