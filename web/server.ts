// Entry point of the CoinPays web server: `node server.ts` (Node 22 strips the types).
// All wiring lives in server/app.ts; this file only reads the config and handles signals.
import type { RunningServer } from "./server/app.ts";
import { ConfigError, loadConfig, type ServerConfig } from "./server/config.ts";

let config: ServerConfig;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Not a pino line: without a valid config there is no logger yet, and a human is reading.
  console.error(error.message);
  process.exit(78); // EX_CONFIG
}

// Signal handlers go in before anything is opened: a Ctrl-C while migrations run must still
// close the database cleanly (an interrupted PGlite initdb leaves an unusable data directory).
let starting: Promise<RunningServer> | undefined;
let shuttingDown = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // A second signal means "stop now": the operator does not want to wait for the drain.
    if (shuttingDown) process.exit(130);
    shuttingDown = true;
    if (!starting) process.exit(0); // still loading code: nothing to close
    starting
      .then((server) => server.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error("CoinPays web server did not shut down cleanly:", error);
          process.exit(1);
        },
      );
  });
}

// Imported after the handlers are in place: loading Next.js, viem and the database drivers
// takes a few seconds on a cold disk.
const { startServer } = await import("./server/app.ts");
starting = startServer(config);
try {
  await starting;
} catch (error) {
  console.error("CoinPays web server failed to start:", error);
  process.exit(1);
}
