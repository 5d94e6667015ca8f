// Runs the real web server (`node server.ts`, production mode) as a child process and reads its
// JSON log lines, the way an operator or a process manager would.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_INDEXER_API_SECRET } from "../../../indexer/test/api-secret.ts";

export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type LogLine = { level: number; msg: string; [field: string]: unknown };

export type ServerProcess = {
  url: string;
  /** Operating-system process id (benchmarks read its CPU time from /proc). */
  pid: number;
  logs: LogLine[];
  /** Everything the process printed on stdout, for failure messages. */
  stdout(): string;
  /** Sends the signal and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
};

/** Hardhat's public account #0: the relayer of the production-build tests, on the local chain only. */
export const DEV_RELAYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/** A fixed test keyring (never a real deployment's): secrets at rest in the tests' databases. */
export const TEST_ENCRYPTION_KEYS = `test:${Buffer.alloc(32, 7).toString("base64")}`;

/**
 * What the production-build tests run on: the local chain and the P2P sandbox, named explicitly as a
 * staging deployment would (a production server refuses them unless UNSAFE_DEV_FEATURES names them).
 * The attack suite (test/security) starts servers without them to show what production refuses.
 */
export const TEST_PRODUCTION_ENV: Record<string, string> = {
  CHAIN_ID: "31337",
  RELAYER_PRIVATE_KEY: DEV_RELAYER_KEY,
  ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
  // The secret the test indexers (indexer/test/support.ts) require.
  INDEXER_API_SECRET: TEST_INDEXER_API_SECRET,
  UNSAFE_DEV_FEATURES: "dev-chain,p2p-sandbox,p2p-dev-tools,mail-outbox,local-webhooks",
};

/** A port the OS says is free now (the server binds it a moment later; PUBLIC_URL must name it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `env` replaces the inherited database settings: pass DATABASE_URL for Postgres, or leave it out
 * (and pass WEB_PGLITE_DIR) for the embedded database. Defaults: TEST_PRODUCTION_ENV, a free port and
 * PUBLIC_URL on it; `{ defaults: false }` starts from the bare production environment instead.
 */
export async function startServerProcess(env: Record<string, string>, startTimeoutMs = 60_000, options: { defaults?: boolean } = {}): Promise<ServerProcess> {
  const { DATABASE_URL: _inheritedDatabase, WEB_PGLITE_DIR: _inheritedPglite, ...inherited } = process.env;
  const port = env.PORT ?? String(await freePort());
  const defaults = options.defaults === false ? {} : { ...TEST_PRODUCTION_ENV, PUBLIC_URL: `http://127.0.0.1:${port}` };
  // process.execPath is the real node binary; the node_modules/.bin/node shim would swallow signals.
  const child = spawn(process.execPath, ["server.ts"], {
    cwd: WEB_ROOT,
    env: { ...inherited, NODE_ENV: "production", HOST: "127.0.0.1", LOG_LEVEL: "info", NEXT_TELEMETRY_DISABLED: "1", ...defaults, ...env, PORT: port },
    stdio: ["ignore", "pipe", "pipe"],
  });

  const logs: LogLine[] = [];
  let stderr = "";
  let stdoutRest = "";
  let stdoutAll = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // "close", not "exit": it fires after stdout is drained, so the last log lines are in `logs`.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within ${startTimeoutMs} ms\nstderr:\n${stderr}`));
    }, startTimeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdoutAll += chunk;
      const lines = (stdoutRest + chunk).split("\n");
      stdoutRest = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue; // Next.js prints a few human-readable lines
        const entry = JSON.parse(line) as LogLine;
        logs.push(entry);
        if (entry.msg === "server listening") {
          clearTimeout(timer);
          resolve(String(entry.url));
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited during start-up (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    });
  });

  return {
    url,
    pid: child.pid!,
    logs,
    stdout: () => stdoutAll,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await withDeadline(exited, 20_000, child);
      return { ...result, stderr };
    },
  };
}

async function withDeadline<T>(promise: Promise<T>, ms: number, child: ChildProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`server did not exit within ${ms} ms of the signal`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
