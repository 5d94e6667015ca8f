import { errorResponse, json, withP2P } from "../../../../../lib/p2p-http.ts";

/** YooKassa notification: unsigned, so only a hint; the payment is confirmed by GET /payments/{id}. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p }) => {
    const raw = await request.text();
    if (raw.length > 100_000) return errorResponse(413, "too_large", "notification too large");
    return json({ outcome: await p2p.desk.handleNotification("yookassa", request.headers, raw) });
  });
}
