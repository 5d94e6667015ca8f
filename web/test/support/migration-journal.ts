// What a fully migrated database reports: every migration shipped in server/db/migrations.
import { readFileSync } from "node:fs";

const journal = JSON.parse(readFileSync(new URL("../../server/db/migrations/meta/_journal.json", import.meta.url), "utf8")) as { entries: { tag: string }[] };

export const FULLY_MIGRATED = { applied: journal.entries.length, pending: 0, latest: journal.entries.at(-1)!.tag };
