import { z } from "zod";
import { errorResponse, json, otpField, readBody, withP2P } from "../../../../../../lib/p2p-http.ts";

const body = z.object({ outcome: z.enum(["buyer", "seller"]), note: z.string().min(3).max(2_000), otp: otpField });

/** Operator: resolves a dispute and moves its money; needs the authenticator code, audited. */
export async function POST(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, asOperator }) => {
    const { id } = await context.params;
    if (!z.uuid().safeParse(id).success) return errorResponse(404, "not_found", "dispute not found");
    const input = await readBody(request, body);
    const result = await asOperator(input.otp, (act) => p2p.desk.resolveDispute(act, id, input.outcome, input.note));
    return json({ ok: true, ...result, transferId: result.transferId?.toString() ?? null });
  });
}
