import path from "node:path";
import type { SpawnOptions } from "node:child_process";
import { ROOT } from "./paths.ts";
import { startProcess, type ManagedProcess } from "./processes.ts";

const PONDER_CLI = path.join(ROOT, "indexer/node_modules/ponder/dist/esm/bin/ponder.js");

/**
 * Runs the indexer's Ponder CLI (`start`, `serve`) on the Node that runs this script. Ponder 0.17 refuses
 * Node < 22, and its `node_modules/.bin` shim would take whichever `node` comes first on PATH (the machine's
 * Node 20 when a script is started as `node_modules/node/bin/node script.ts` rather than through pnpm).
 */
export function startPonder(args: string[], options: SpawnOptions & { label: string; echo?: boolean }): ManagedProcess {
  return startProcess(process.execPath, [PONDER_CLI, ...args], options);
}
