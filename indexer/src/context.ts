import type { Context } from "ponder:registry";

/** The indexing store every handler receives, typed from ponder.schema.ts, so shared helpers get column checks too. */
export type Db = Context["db"];

/** What the helpers several handlers share need of a handler's context. */
export type HandlerContext = { chain: { id: number }; db: Db };
