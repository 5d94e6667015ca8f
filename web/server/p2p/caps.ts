// Caps on the desk's abuse-prone paths, from the environment (validated once; a bad value stops
// start-up). They live beside config.ts rather than in it only to keep this change apart from the
// desk's main configuration; the meaning is the same. (The rate limits themselves: limits.ts.)
// - P2P_MAX_OPEN_CLAIMS (default 2): unresolved "I paid" claims a buyer may have at once. Each one
//   freezes a seller's amount until an operator decides, so without a bound a buyer who never pays
//   could freeze every seller's liquidity, one order after another.
// - P2P_NOTIFICATIONS_PER_INVOICE_PER_MINUTE (default 10): provider notifications handled per invoice
//   per minute; each costs a status call to the seller's provider.
import { z } from "zod";

export type DeskCaps = { maxOpenClaimsPerBuyer: number; notificationsPerInvoicePerMinute: number };

const schema = z.object({
  P2P_MAX_OPEN_CLAIMS: z.coerce.number().int().min(1).max(1_000).default(2),
  P2P_NOTIFICATIONS_PER_INVOICE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
});

export function loadDeskCaps(env: Readonly<Record<string, string | undefined>> = process.env): DeskCaps {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in schema.shape && v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new Error(`Invalid P2P caps:\n${parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  return { maxOpenClaimsPerBuyer: parsed.data.P2P_MAX_OPEN_CLAIMS, notificationsPerInvoicePerMinute: parsed.data.P2P_NOTIFICATIONS_PER_INVOICE_PER_MINUTE };
}
