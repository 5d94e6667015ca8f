import { z } from "zod";
import { errorResponse, json, readBody, withP2P } from "../../../../../../lib/p2p-http.ts";

const body = z.union([z.object({ userId: z.uuid() }), z.object({ reject: z.literal(true) })]);

export async function POST(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p }) => {
    const { id } = await context.params;
    if (!z.uuid().safeParse(id).success) return errorResponse(404, "not_found", "deposit not found");
    await p2p.desk.resolveReview(id, await readBody(request, body));
    return json({ ok: true });
  });
}
