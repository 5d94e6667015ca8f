// One JSON line per event on stdout (pino). Pretty-printing is left to the reader's tools
// (`| pino-pretty`), so production and development logs have the same shape.
import { pino, type Logger } from "pino";
import type { ServerConfig } from "./config.ts";

export function createLogger(config: Pick<ServerConfig, "logLevel" | "nodeEnv">): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: "coinpays-web", env: config.nodeEnv },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Synchronous writes: pino's default asynchronous stdout was seen to reorder and drop the
    // last lines before process.exit when stdout is a pipe. The volume here (a line per request)
    // does not need the throughput of async logging.
    pino.destination({ dest: 1, sync: true }),
  );
}
