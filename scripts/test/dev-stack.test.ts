/**
 * The README's first command, for real: `pnpm dev` brings up chain, contracts, seed data, indexer (PGlite)
 * and web server; the landing page is served, the indexer has the seeded payments, and Ctrl-C (SIGINT)
 * stops everything cleanly. Ports are moved off the defaults so a developer's own stack can keep running.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT } from "../lib/paths.ts";
import { freePort, startProcess, waitFor, type ManagedProcess } from "../lib/processes.ts";
import { DEMO } from "../lib/seed.ts";
import { DEV_INDEXER_API_SECRET } from "../../indexer/src/api/access.ts";

describe("local stack (pnpm dev)", { timeout: 600_000 }, () => {
  let stack: ManagedProcess;
  let webUrl: string;
  let indexerUrl: string;

  before(async () => {
    const [chainPort, indexerPort, webPort] = [await freePort(), await freePort(), await freePort()];
    webUrl = `http://127.0.0.1:${webPort}`;
    indexerUrl = `http://127.0.0.1:${indexerPort}`;
    stack = startProcess(process.execPath, [path.join(ROOT, "scripts/dev-stack.ts")], {
      cwd: ROOT,
      label: "stack",
      env: { ...process.env, CHAIN_PORT: String(chainPort), INDEXER_PORT: String(indexerPort), PORT: String(webPort), DATABASE_URL: "" },
    });
    await waitFor("the stack to print its URLs", async () => (stack.output().includes("Press Ctrl-C to stop.") ? true : undefined), 480_000, stack);
  });

  after(async () => {
    await stack?.stop("SIGKILL");
  });

  it("serves the landing page", async () => {
    const response = await fetch(webUrl);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /CoinPays/);
  });

  it("has indexed the seeded demo payments", async () => {
    const response = await fetch(`${indexerUrl}/merchants/${DEMO.merchant.address}/payments`, {
      // The stack starts the indexer and the web server with the same INDEXER_API_SECRET: this one, or the development default.
      headers: { authorization: `Bearer ${process.env.INDEXER_API_SECRET || DEV_INDEXER_API_SECRET}` },
    });
    assert.equal(response.status, 200);
    const { data } = (await response.json()) as { data: Array<{ amount: string; method: string }> };
    // The indexer names the payment path: the seeded ETH payment goes through the router's native entry point.
    assert.deepEqual(data.map((row) => `${row.method}:${row.amount}`).sort(), ["deposit_address:12500000", "native:50000000000000000", "router:25000000"]);
  });

  it("stops cleanly on Ctrl-C", async () => {
    const exited = new Promise<number | null>((resolve) => stack.child.once("exit", (code) => resolve(code)));
    process.kill(-stack.child.pid!, "SIGINT");
    const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000))]);
    assert.equal(code, 0);
    await assert.rejects(fetch(webUrl), "the web server is still answering after Ctrl-C");
    await assert.rejects(fetch(`${indexerUrl}/ready`), "the indexer is still answering after Ctrl-C");
  });
});
