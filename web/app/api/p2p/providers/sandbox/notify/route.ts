import { json, readText, withP2P } from "../../../../../lib/p2p-http.ts";

/** The sandbox provider's signed notification: verified, de-duplicated, then confirmed by a status call. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p }) => {
    const raw = await readText(request);
    const outcome = await p2p.desk.handleNotification("sandbox", request.headers, raw);
    return json({ outcome });
  });
}
