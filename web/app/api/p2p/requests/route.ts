import { z } from "zod";
import { amountString, idempotencyKeyOf, json, readBody, withP2P } from "../../../lib/p2p-http.ts";

const body = z.object({
  apiFormId: z.uuid(),
  amount: amountString,
  minPerBuyer: amountString,
  maxPerBuyer: amountString,
  /** Rubles per 1.00 virtual dollar, e.g. "95.00". */
  rate: amountString.optional(),
  idempotencyKey: z.string().optional(),
});

export async function GET(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => json({ requests: await p2p.desk.listRequests(user!.id) }));
}

export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    const key = idempotencyKeyOf(request, input.idempotencyKey);
    const created = await p2p.desk.createRequest(user!.id, { ...input, idempotencyKey: key });
    return json({ request: created }, created.replayed ? 200 : 201);
  });
}
