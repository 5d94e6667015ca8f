import { z } from "zod";
import { errorResponse, json, readBody, withP2P } from "../../../../../lib/p2p-http.ts";

const body = z.object({ note: z.string().trim().min(3).max(2_000) });

/** The buyer says they paid: the provider is asked first, else the reservation is frozen in a dispute. */
export async function POST(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const { id } = await context.params;
    if (!z.uuid().safeParse(id).success) return errorResponse(404, "not_found", "order not found");
    const input = await readBody(request, body);
    const { disputeId, ...order } = await p2p.desk.claimPaid(user!.id, id, input.note);
    return json({ order, disputeId });
  });
}
