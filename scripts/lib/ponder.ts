import path from "node:path";
import type { SpawnOptions } from "node:child_process";
import { ROOT } from "./paths.ts";
import { startProcess, type ManagedProcess } from "./processes.ts";

export const PONDER_CLI = path.join(ROOT, "indexer/node_modules/ponder/dist/esm/bin/ponder.js");

/** Where the indexer's HTTP API listens unless INDEXER_HOSTNAME says otherwise: this machine only. */
export const DEFAULT_INDEXER_HOSTNAME = "127.0.0.1";

/**
 * Runs the indexer's Ponder CLI (`start`, `serve`) on the Node that runs this script. Ponder 0.17 refuses
 * Node < 22, and its `node_modules/.bin` shim would take whichever `node` comes first on PATH (the machine's
 * Node 20 when a script is started as `node_modules/node/bin/node script.ts` rather than through pnpm).
 *
 * The HTTP API binds INDEXER_HOSTNAME (from `options.env`, else this process's environment), default
 * 127.0.0.1: Ponder's own default is every interface, and the API is the web server's private back end.
 * Binding elsewhere (0.0.0.0 in a container the web server reaches over a network) is that explicit setting.
 */
export function startPonder(args: string[], options: SpawnOptions & { label: string; echo?: boolean }): ManagedProcess {
  const env = options.env ?? process.env;
  const hostname = env.INDEXER_HOSTNAME || DEFAULT_INDEXER_HOSTNAME;
  const given = args.some((arg) => arg === "-H" || arg === "--hostname" || arg.startsWith("--hostname="));
  return startProcess(process.execPath, [PONDER_CLI, ...args, ...(given ? [] : ["--hostname", hostname])], options);
}
