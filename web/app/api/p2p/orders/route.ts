import { z } from "zod";
import { amountString, idempotencyKeyOf, json, readBody, withP2P } from "../../../lib/p2p-http.ts";

const body = z.object({ amount: amountString, method: z.string().min(1).max(40).default("sandbox"), idempotencyKey: z.string().optional() });

export async function GET(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => json({ orders: await p2p.desk.listOrders(user!.id) }));
}

/** A buyer's top-up: matched to one seller, who issues an invoice. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    const key = idempotencyKeyOf(request, input.idempotencyKey);
    const order = await p2p.desk.createOrder(user!.id, { amount: input.amount, method: input.method, idempotencyKey: key });
    return json({ order }, 201);
  });
}
