// drizzle-kit configuration: `db:generate` diffs server/db/schema.ts against the migration
// snapshots and writes plain SQL migrations that the server applies at start-up.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/schema.ts",
  out: "./server/db/migrations",
  // Only needed for drizzle-kit's online commands (push, studio); generate works offline.
  ...(process.env.DATABASE_URL ? { dbCredentials: { url: process.env.DATABASE_URL } } : {}),
});
