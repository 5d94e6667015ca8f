// Database schema (drizzle). Migrations in ./migrations are generated from this file with
// `pnpm --filter @coinpays/web run db:generate`; never edit an applied migration.
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** A business that takes payments through CoinPays. */
export const merchants = pgTable("merchants", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  /** EVM address (0x-prefixed, checksummed by the service layer) that settled funds go to. */
  payoutAddress: text("payout_address").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
