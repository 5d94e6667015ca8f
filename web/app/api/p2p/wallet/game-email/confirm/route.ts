import { z } from "zod";
import { json, readBody, withP2P } from "../../../../../lib/p2p-http.ts";

const body = z.object({ code: z.string().regex(/^\d{6}$/, "a 6-digit code") });

export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    return json({ gameEmail: await p2p.auth.confirmGameEmailLink(user!.id, input.code) });
  });
}
