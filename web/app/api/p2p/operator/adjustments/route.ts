import { z } from "zod";
import { amountString, idempotencyKeyOf, json, otpField, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({
  userId: z.uuid(),
  direction: z.enum(["credit", "debit"]),
  amount: amountString,
  reason: z.string().min(3).max(500),
  idempotencyKey: z.string().optional(),
  otp: otpField,
});

/** Operator: manual balance adjustment, booked as a ledger transfer with its reason; needs the authenticator code, audited. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, asOperator }) => {
    const { otp, ...input } = await readBody(request, body);
    const key = idempotencyKeyOf(request, input.idempotencyKey);
    const result = await asOperator(otp, (act) => p2p.desk.adjust(act, { ...input, idempotencyKey: key }));
    return json({ adjustment: result }, result.replayed ? 200 : 201);
  });
}
