// Runs the real web server (`node server.ts`, production mode) as a child process and reads its
// JSON log lines, the way an operator or a process manager would.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

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

/**
 * `env` replaces the inherited database settings: pass DATABASE_URL for Postgres, or leave it out
 * (and pass WEB_PGLITE_DIR) for the embedded database.
 */
export async function startServerProcess(env: Record<string, string>, startTimeoutMs = 60_000): Promise<ServerProcess> {
  const { DATABASE_URL: _inheritedDatabase, WEB_PGLITE_DIR: _inheritedPglite, ...inherited } = process.env;
  // process.execPath is the real node binary; the node_modules/.bin/node shim would swallow signals.
  const child = spawn(process.execPath, ["server.ts"], {
    cwd: WEB_ROOT,
    env: { ...inherited, NODE_ENV: "production", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", NEXT_TELEMETRY_DISABLED: "1", ...env },
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
