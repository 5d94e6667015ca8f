import { z } from "zod";
import { json, readBody, withP2P } from "../../../lib/p2p-http.ts";

const body = z.object({
  provider: z.string().min(1).max(40),
  displayName: z.string().min(1).max(100),
  credentials: z.record(z.string().max(100), z.string().max(2_000)),
});

export async function GET(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => json({ apiForms: await p2p.desk.listApiForms(user!.id) }));
}

/** Adds payment-provider credentials; they are verified against the provider, then stored encrypted. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    return json({ apiForm: await p2p.desk.addApiForm(user!.id, input) }, 201);
  });
}
