import { json, readText, withP2P } from "../../../../../lib/p2p-http.ts";

/** YooKassa notification: unsigned, so only a hint; the payment is confirmed by GET /payments/{id}. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p }) => {
    const raw = await readText(request);
    return json({ outcome: await p2p.desk.handleNotification("yookassa", request.headers, raw) });
  });
}
