import { z } from "zod";
import { errorResponse, json, withP2P } from "../../../../lib/p2p-http.ts";

export async function GET(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const { id } = await context.params;
    if (!z.uuid().safeParse(id).success) return errorResponse(404, "not_found", "order not found");
    return json({ order: await p2p.desk.getOrder(user!.id, id) });
  });
}
