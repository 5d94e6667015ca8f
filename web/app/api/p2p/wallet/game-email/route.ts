import { z } from "zod";
import { json, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({ gameEmail: z.email().max(200) });

/** Step 1 of linking the game-room account: a code goes to that account's e-mail. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    await p2p.auth.requestGameEmailLink(user!.id, input.gameEmail);
    return json({ next: "enter the code sent to the game-room account e-mail" }, 202);
  });
}
