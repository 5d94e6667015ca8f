import { z } from "zod";
import { errorResponse, json, otpField, readBody, withP2P } from "../../../../../../lib/p2p-http.ts";

const common = { note: z.string().min(3).max(2_000).optional(), otp: otpField };
const body = z.union([z.object({ userId: z.uuid(), ...common }), z.object({ reject: z.literal(true), ...common })]);

/** Operator: assigns a reviewed deposit to a user or rejects it; needs the authenticator code, audited. */
export async function POST(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, asOperator }) => {
    const { id } = await context.params;
    if (!z.uuid().safeParse(id).success) return errorResponse(404, "not_found", "deposit not found");
    const { otp, ...decision } = await readBody(request, body);
    await asOperator(otp, (act) => p2p.desk.resolveReview(act, id, decision));
    return json({ ok: true });
  });
}
