/**
 * Runs every test suite of the workspace, one after another, and prints one summary line that counts
 * them all. This is the README's test command and what CI runs.
 *
 * PostgreSQL: suites use DATABASE_URL; when it is unset, a fresh database is created on the local server
 * (postgres://postgres@127.0.0.1:5432) and dropped afterwards.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { ROOT } from "./lib/paths.ts";

interface Suite {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** Extracts passed/failed/skipped counts from the suite's output. */
  parse(output: string): Counts;
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const bin = (name: string, dir = ROOT) => path.join(dir, "node_modules/.bin", name);
const node = process.execPath;

function lastNumber(output: string, pattern: RegExp): number {
  const matches = [...output.matchAll(pattern)];
  return matches.length ? Number(matches[matches.length - 1]![1]) : 0;
}

/** `node --test` prints TAP-style totals: "# pass N", "# fail N", "# skipped N". */
const nodeTestCounts = (output: string): Counts => ({
  passed: lastNumber(output, /^# pass (\d+)/gm),
  failed: lastNumber(output, /^# fail (\d+)/gm) + lastNumber(output, /^# cancelled (\d+)/gm),
  skipped: lastNumber(output, /^# skipped (\d+)/gm),
});

/**
 * `hardhat test` prints mocha-style "N passing/failing/pending" per runner and then a combined line
 * ("233 passing (40 solidity, 193 mocha)"); the combined line is the total when present.
 */
const hardhatCounts = (output: string): Counts => {
  const count = (word: string) => {
    const combined = [...output.matchAll(new RegExp(`^\\s*(\\d+) ${word} \\(\\d+ solidity, \\d+ mocha\\)`, "gm"))];
    if (combined.length) return Number(combined[combined.length - 1]![1]);
    return [...output.matchAll(new RegExp(`^\\s*(\\d+) ${word}`, "gm"))].reduce((total, m) => total + Number(m[1]), 0);
  };
  return { passed: count("passing"), failed: count("failing"), skipped: count("pending") };
};

const suites: Suite[] = [
  { name: "contracts (Solidity + mocha)", command: bin("hardhat"), args: ["test"], cwd: ROOT, parse: hardhatCounts },
  {
    name: "generated contracts module is current",
    command: node,
    args: ["scripts/codegen.ts", "--check"],
    cwd: ROOT,
    parse: (output) => ({ passed: lastNumber(output, /(\d+) passed/g), failed: lastNumber(output, /(\d+) failed/g), skipped: 0 }),
  },
  // The SDK, the indexer, the scripts and the contract tests run as TypeScript with types stripped, so nothing
  // else checks their types (the web build type-checks web). The root project reads the artifacts' type
  // declarations, which the contract suite's compile has just written. A type error fails the suite; it adds
  // no test count.
  ...([["sdk", "sdk"], ["indexer", "indexer"], ["scripts and contract tests", "."]] as const).map(
    ([what, project]): Suite => ({ name: `${what} types (tsc)`, command: bin("tsc"), args: ["--noEmit", "-p", project], cwd: ROOT, parse: () => ({ passed: 0, failed: 0, skipped: 0 }) }),
  ),
  { name: "sdk", command: node, args: ["--test", "test/**/*.test.ts"], cwd: path.join(ROOT, "sdk"), parse: nodeTestCounts },
  { name: "indexer (EDR + Ponder + PostgreSQL/PGlite)", command: node, args: ["--test", "test/**/*.test.ts"], cwd: path.join(ROOT, "indexer"), parse: nodeTestCounts },
  { name: "web build", command: bin("next", path.join(ROOT, "web")), args: ["build"], cwd: path.join(ROOT, "web"), parse: () => ({ passed: 0, failed: 0, skipped: 0 }) },
  { name: "web (server, pages, API)", command: node, args: ["--test", "--test-concurrency=1", "test/*.test.ts", "test/!(e2e)/**/*.test.ts"], cwd: path.join(ROOT, "web"), parse: nodeTestCounts },
  // One chain, one server and one Chromium shared by every browser test: no per-file isolation.
  { name: "web browser e2e (Chromium)", command: node, args: ["--test", "--experimental-test-isolation=none", "test/e2e/*.test.ts"], cwd: path.join(ROOT, "web"), parse: nodeTestCounts },
  { name: "local stack (README command a)", command: node, args: ["--test", "scripts/test/*.test.ts"], cwd: ROOT, parse: nodeTestCounts },
];

function run(suite: Suite, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(suite.command, suite.args, { cwd: suite.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const forward = (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("close", (code) => resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }));
  });
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return fn(process.env.DATABASE_URL);
  const admin = "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `coinpays_test_${Date.now()}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  try {
    return await fn(`postgres://postgres@127.0.0.1:5432/${name}`);
  } finally {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  }
}

const only = process.argv.slice(2);
const selected = only.length ? suites.filter((s) => only.some((o) => s.name.startsWith(o))) : suites;

const exitCode = await withDatabase(async (databaseUrl) => {
  const env = { ...process.env, DATABASE_URL: databaseUrl, PONDER_TELEMETRY_DISABLED: "true", NEXT_TELEMETRY_DISABLED: "1" };
  const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
  const report: string[] = [];
  let broken = false;
  for (const suite of selected) {
    console.log(`\n=== ${suite.name} ===`);
    const result = await run(suite, env);
    const counts = suite.parse(result.output);
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
    const ok = result.code === 0;
    broken ||= !ok;
    report.push(`${ok ? "ok  " : "FAIL"} ${suite.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${result.seconds.toFixed(1)} s, exit ${result.code})`);
    if (!ok && counts.failed === 0) totals.failed += 1; // a suite that crashed counts as a failure
  }
  console.log(`\n${report.join("\n")}`);
  console.log(`\ntotal: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return broken || totals.failed > 0 ? 1 : 0;
});
process.exit(exitCode);
