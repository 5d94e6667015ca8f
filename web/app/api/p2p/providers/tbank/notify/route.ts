import { readText, withP2P } from "../../../../../lib/p2p-http.ts";

/** T-Bank notification: Token verified with the terminal's password, de-duplicated, confirmed by GetState; answered "OK". */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p }) => {
    const raw = await readText(request);
    await p2p.desk.handleNotification("tbank", request.headers, raw);
    return new Response("OK", { status: 200, headers: { "content-type": "text/plain" } });
  });
}
