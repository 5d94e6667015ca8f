import { randomUUID } from "node:crypto";
import { z } from "zod";
import { amountString, errorResponse, json, readBody, withP2P } from "../../../../lib/p2p-http.ts";

// Strict: a body naming a sender (or anything else) is refused, not quietly stripped, so nobody
// mistakes the simulator for a way to credit another account.
const body = z.strictObject({ amount: amountString });

/**
 * Development simulator: a game-room transfer from the signed-in user's own linked game-room
 * e-mail, never from a sender the client names. 404 unless this process may use the dev tools
 * (UNSAFE_DEV_FEATURES=p2p-dev-tools in production).
 */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user", devTool: true }, async ({ p2p, user }) => {
    const input = await readBody(request, body);
    const sender = user!.gameEmail;
    if (!sender) return errorResponse(409, "conflict", "link your game-room account e-mail first");
    if (input.amount <= 0n) return errorResponse(400, "invalid_input", "amount must be positive");
    const outcome = await p2p.desk.recordDeposit(
      { transferId: `sim-${randomUUID()}`, occurredAt: new Date(), senderEmail: sender, amount: input.amount, currency: p2p.config.currency },
      "simulator",
    );
    return json({ outcome }, 201);
  });
}
