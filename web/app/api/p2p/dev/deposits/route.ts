import { randomUUID } from "node:crypto";
import { z } from "zod";
import { amountString, errorResponse, json, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({ amount: amountString, senderEmail: z.email().optional() });

/** Development simulator: a game-room transfer from the signed-in user's linked account (or any sender). */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "user" }, async ({ p2p, user }) => {
    if (process.env.P2P_DEV_TOOLS === "0") return errorResponse(404, "not_found", "development tools are disabled");
    const input = await readBody(request, body);
    const sender = input.senderEmail ?? user!.gameEmail;
    if (!sender) return errorResponse(409, "conflict", "link your game-room account e-mail first");
    if (input.amount <= 0n) return errorResponse(400, "invalid_input", "amount must be positive");
    const outcome = await p2p.desk.recordDeposit(
      { transferId: `sim-${randomUUID()}`, occurredAt: new Date(), senderEmail: sender, amount: input.amount, currency: p2p.config.currency },
      "simulator",
    );
    return json({ outcome }, 201);
  });
}
