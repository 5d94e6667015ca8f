import { z } from "zod";
import { amountString, idempotencyKeyOf, json, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({
  userId: z.uuid(),
  direction: z.enum(["credit", "debit"]),
  amount: amountString,
  reason: z.string().min(3).max(500),
  idempotencyKey: z.string().optional(),
});

/** Operator: manual balance adjustment, booked as a ledger transfer with its reason. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    const key = idempotencyKeyOf(request, input.idempotencyKey);
    const result = await p2p.desk.adjust(user!.id, { ...input, idempotencyKey: key });
    return json({ adjustment: result }, result.replayed ? 200 : 201);
  });
}
