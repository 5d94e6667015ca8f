import { z } from "zod";
import { errorResponse, json, withP2P } from "../../../../../lib/p2p-http.ts";

export async function POST(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const { id } = await context.params;
    if (!z.uuid().safeParse(id).success) return errorResponse(404, "not_found", "request not found");
    await p2p.desk.cancelRequest(user!.id, id);
    return json({ ok: true });
  });
}
