/**
 * The whole local stack in one command: EDR chain on 127.0.0.1:8545, contracts deployed, demo data seeded,
 * Ponder indexing into embedded PGlite, and the web server. Ctrl-C stops everything.
 *
 *   npx -y pnpm@10 dev
 *
 * Ports can be moved with CHAIN_PORT, INDEXER_PORT and PORT (web).
 */
import { spawnSync } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { deployCoinPays } from "./lib/deploy.ts";
import { generateContractsModule } from "./lib/codegen.ts";
import { devAccount } from "./lib/dev-accounts.ts";
import { startLocalChain } from "./lib/local-chain.ts";
import { ROOT } from "./lib/paths.ts";
import { startProcess, waitFor, type ManagedProcess } from "./lib/processes.ts";
import { startPonder } from "./lib/ponder.ts";
import { DEMO, seedLocalChain } from "./lib/seed.ts";

const chainPort = Number(process.env.CHAIN_PORT ?? 8545);
const indexerPort = Number(process.env.INDEXER_PORT ?? 42069);
const webPort = Number(process.env.PORT ?? 3000);
const log = (message: string) => console.log(`[stack] ${message}`);
const running: ManagedProcess[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  log("stopping…");
  for (const child of running.reverse()) await child.stop();
  log("stopped");
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  log("compiling contracts");
  const compile = spawnSync(path.join(ROOT, "node_modules/.bin/hardhat"), ["compile", "--quiet"], { cwd: ROOT, stdio: "inherit" });
  if (compile.status !== 0) throw new Error("hardhat compile failed");

  log(`starting the local chain on 127.0.0.1:${chainPort}`);
  const chain = await startLocalChain({ port: chainPort });
  running.push(chain.process);

  log("deploying");
  const deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), log: (m) => log(m) });
  await generateContractsModule();
  log("seeding demo balances and payments");
  await seedLocalChain(chain.rpcUrl, deployment, (m) => log(m));

  // The chain starts empty every time, so yesterday's index would describe a chain that no longer exists.
  const pgliteDir = path.join(ROOT, "indexer/.ponder/pglite");
  await rm(pgliteDir, { recursive: true, force: true });
  log(`starting the indexer on 127.0.0.1:${indexerPort} (embedded PGlite)`);
  // Ponder takes PORT from the environment over --port, so the web server's PORT must not leak into it.
  const indexerEnv = { ...process.env, PONDER_TELEMETRY_DISABLED: "true", PONDER_RPC_URL_31337: chain.rpcUrl, DATABASE_URL: "", PORT: String(indexerPort) };
  const indexer = startPonder(["start", "--schema", "coinpays", "--port", String(indexerPort)], {
    cwd: path.join(ROOT, "indexer"),
    label: "indexer",
    echo: true,
    env: indexerEnv,
  });
  running.push(indexer);
  const indexerUrl = `http://127.0.0.1:${indexerPort}`;
  await waitFor("the indexer", async () => ((await fetch(`${indexerUrl}/ready`)).ok ? true : undefined), 120_000, indexer);

  log(`starting the web server on 127.0.0.1:${webPort}`);
  const web = startProcess(process.execPath, ["server.ts"], {
    cwd: path.join(ROOT, "web"),
    label: "web",
    echo: true,
    env: { ...process.env, NODE_ENV: "development", PORT: String(webPort), RPC_URL: chain.rpcUrl, INDEXER_URL: indexerUrl, DATABASE_URL: process.env.WEB_DATABASE_URL ?? "", NEXT_TELEMETRY_DISABLED: "1" },
  });
  running.push(web);
  const webUrl = `http://127.0.0.1:${webPort}`;
  await waitFor("the web server", async () => ((await fetch(`${webUrl}/api/health`)).status < 500 ? true : undefined), 180_000, web);

  console.log(`
CoinPays local stack is up.
  Web            ${webUrl}
  Health         ${webUrl}/api/health
  Indexer API    ${indexerUrl}/graphql  ·  ${indexerUrl}/merchants/${DEMO.merchant.address}/payments
  Chain (EDR)    ${chain.rpcUrl}  (chain id 31337)
  Contracts      PaymentRouter ${deployment.contracts.PaymentRouter.address}
                 DepositAddressFactory ${deployment.contracts.DepositAddressFactory.address}
  Dev tokens     ${deployment.tokens.map((t) => `${t.symbol} ${t.address}`).join("  ·  ")}
  Demo merchant  ${DEMO.merchant.address} (dev account #1)
Press Ctrl-C to stop.`);

  // Any part dying takes the stack down rather than leaving a half-working system behind.
  for (const child of running) {
    child.child.once("exit", (code) => {
      if (!stopping) {
        log(`a process exited unexpectedly (code ${code}); stopping the stack`);
        void stopAll(1);
      }
    });
  }
} catch (error) {
  console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
}
