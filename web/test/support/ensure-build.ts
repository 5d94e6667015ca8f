// Run by `pnpm test` before the test files: the server tests start the production server, which
// needs `next build` output. Builds only when .next/BUILD_ID is missing or older than a source
// file, so repeated test runs skip the ~30 s build. CI may also run `pnpm build` first.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const buildIdFile = path.join(webRoot, ".next", "BUILD_ID");
const sources = ["app", "components", "server", "next.config.ts", "postcss.config.mjs", "package.json", "../sdk/src"];

function newestModification(entry: string): number {
  const stats = statSync(entry, { throwIfNoEntry: false });
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(
    stats.mtimeMs,
    ...readdirSync(entry).map((name) => newestModification(path.join(entry, name))),
  );
}

const builtAt = statSync(buildIdFile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changedAt = Math.max(...sources.map((source) => newestModification(path.join(webRoot, source))));

if (builtAt >= changedAt) {
  console.log("ensure-build: .next is up to date, skipping next build");
} else {
  console.log(builtAt === 0 ? "ensure-build: no build found, running next build" : "ensure-build: sources changed, running next build");
  const started = performance.now();
  const result = spawnSync(process.execPath, [path.join(webRoot, "node_modules/next/dist/bin/next"), "build"], {
    cwd: webRoot,
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  console.log(`ensure-build: next build took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
