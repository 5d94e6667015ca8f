// drizzle-kit configuration for the P2P desk's own migrations (`db:generate:p2p`). They are applied
// at start-up after the gateway's, with their own bookkeeping table (see server/db/index.ts).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./server/p2p/db/schema.ts",
  out: "./server/p2p/db/migrations",
  migrations: { table: "__drizzle_migrations_p2p", schema: "drizzle" },
  ...(process.env.DATABASE_URL ? { dbCredentials: { url: process.env.DATABASE_URL } } : {}),
});
