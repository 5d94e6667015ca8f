/**
 * The browser-test stack: one local chain (Hardhat EDR, deployed + seeded), one production web server
 * pointed at it, one headless Debian Chromium. Created once per process and shared by every e2e test file
 * (run them with `--experimental-test-isolation=none`, see `pnpm test:e2e`), torn down when the process exits.
 *
 * ```ts
 * const stack = await e2eStack();
 * const { page, wallet } = await stack.openPage("/escrow", devAccount(2)); // test wallet already connected
 * await stack.screenshot(page, "escrow-funded");                            // web/test-results/escrow-funded.png
 * await stack.timeTravel(86_400);                                           // evm_increaseTime + evm_mine
 * ```
 */
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createPublicClient, createWalletClient, defineChain, http, type Abi, type Address, type LocalAccount } from "viem";
import { getDeployment } from "@coinpays/sdk/contracts";
import { startLocalChain, type LocalChain } from "../../../../scripts/lib/local-chain.ts";
import { deployCoinPays, type Deployment } from "../../../../scripts/lib/deploy.ts";
import { seedLocalChain } from "../../../../scripts/lib/seed.ts";
import { ROOT } from "../../../../scripts/lib/paths.ts";
import { freePort, waitFor } from "../../../../scripts/lib/processes.ts";
import { startPonder } from "../../../../scripts/lib/ponder.ts";
import { TEST_INDEXER_API_SECRET } from "../../../../indexer/test/api-secret.ts";
import { devAccount, LOCAL_CHAIN_ID } from "../../../../scripts/lib/dev-accounts.ts";
import { startServerProcess, WEB_ROOT, type ServerProcess } from "../../support/server-process.ts";
import { installTestWallet, type TestWallet } from "./test-wallet.ts";

export const RESULTS_DIR = path.join(WEB_ROOT, "test-results");
/** Whoever signs up with this e-mail is a P2P desk operator (the P2P browser test). */
export const P2P_OPERATOR_EMAIL = "operator@e2e.coinpays.test";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface E2eStack {
  rpcUrl: string;
  baseUrl: string;
  deployment: Deployment;
  browser: Browser;
  publicClient: ReturnType<typeof createPublicClient>;
  /** A fresh browser context + page with the test wallet for `account`, connected through the page's UI. */
  openPage(pathname: string, account: LocalAccount): Promise<{ page: Page; wallet: TestWallet; context: BrowserContext }>;
  /** Sends a transaction from Node (a keeper, a price-feed owner…) and waits for a successful receipt. */
  send(account: LocalAccount, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint): Promise<`0x${string}`>;
  read<T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<T>;
  timeTravel(seconds: number): Promise<void>;
  /**
   * Starts the Ponder indexer (embedded PGlite) on the port the server was told about, once, and resolves
   * when it is ready. Only the files that read analytics pay for it.
   */
  startIndexer(): Promise<string>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

let shared: Promise<E2eStack> | undefined;

export function e2eStack(): Promise<E2eStack> {
  shared ??= startStack();
  return shared;
}

/**
 * Stops the shared stack (idempotent). Every e2e file calls `after(closeE2eStack)`: without test isolation
 * top-level `after` hooks run once all files' tests are done, so the first call closes it and the rest no-op.
 */
export async function closeE2eStack(): Promise<void> {
  const current = shared;
  if (!current) return;
  shared = undefined;
  await (await current.catch(() => undefined))?.close();
}

async function startStack(): Promise<E2eStack> {
  const started = performance.now();
  const quiet = () => {};
  const cleanup: (() => void)[] = [];
  // Children must not outlive the test process, however it ends.
  const killAll = () => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        step();
      } catch {
        /* already gone */
      }
    }
  };
  process.once("exit", killAll);
  try {
    return await startStackSteps(started, quiet, cleanup, killAll);
  } catch (error) {
    killAll();
    throw error;
  }
}

async function startStackSteps(started: number, quiet: () => void, cleanup: (() => void)[], killAll: () => void): Promise<E2eStack> {
  const chain: LocalChain = await startLocalChain();
  cleanup.push(() => process.kill(-chain.process.child.pid!, "SIGKILL"));
  const deploymentsDir = mkdtempSync(path.join(tmpdir(), "coinpays-e2e-deployments-"));
  cleanup.push(() => rmSync(deploymentsDir, { recursive: true, force: true }));
  const deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), deploymentsDir, log: quiet });
  assertSameAddresses(deployment);
  await seedLocalChain(chain.rpcUrl, deployment, quiet);

  const pgliteDir = mkdtempSync(path.join(tmpdir(), "coinpays-e2e-pglite-"));
  cleanup.push(() => rmSync(pgliteDir, { recursive: true, force: true }));
  // Reserved now so the server knows the indexer's URL; nothing listens there until startIndexer().
  const indexerPort = await freePort();
  const indexerUrl = `http://127.0.0.1:${indexerPort}`;
  const server: ServerProcess = await startServerProcess({
    WEB_PGLITE_DIR: pgliteDir,
    RPC_URL: chain.rpcUrl,
    CHAIN_ID: String(LOCAL_CHAIN_ID),
    INDEXER_URL: indexerUrl,
    LOG_LEVEL: "info", // startServerProcess waits for the info-level "server listening" line
    P2P_OPERATOR_EMAILS: P2P_OPERATOR_EMAIL,
  });
  cleanup.push(() => void server.stop("SIGKILL"));

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS, headless: true });
  cleanup.push(() => void browser.close());
  mkdirSync(RESULTS_DIR, { recursive: true });

  const viemChain = defineChain({
    id: LOCAL_CHAIN_ID,
    name: "CoinPays Local",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain: viemChain, transport: http(chain.rpcUrl) });
  let indexer: Promise<string> | undefined;
  const startIndexer = async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "coinpays-e2e-ponder-"));
    cleanup.push(() => rmSync(directory, { recursive: true, force: true }));
    const { DATABASE_URL: _postgres, ...env } = process.env;
    const ponder = startPonder(["start", "--schema", "e2e", "--port", String(indexerPort)], {
      cwd: path.join(ROOT, "indexer"),
      label: "indexer",
      // Ponder prefers PORT from the environment over --port.
      // The server was started with TEST_PRODUCTION_ENV's INDEXER_API_SECRET; the indexer requires the same.
      env: { ...env, PONDER_TELEMETRY_DISABLED: "true", PONDER_PGLITE_DIR: directory, PONDER_RPC_URL_31337: chain.rpcUrl, INDEXER_API_SECRET: TEST_INDEXER_API_SECRET, PORT: String(indexerPort) },
    });
    cleanup.push(() => process.kill(-ponder.child.pid!, "SIGKILL"));
    await waitFor("the indexer to be ready", async () => ((await fetch(`${indexerUrl}/ready`).catch(() => undefined))?.ok ? true : undefined), 180_000, ponder);
    return indexerUrl;
  };

  console.log(`e2e stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s: chain ${chain.rpcUrl}, web ${server.url}`);

  const stack: E2eStack = {
    rpcUrl: chain.rpcUrl,
    baseUrl: server.url,
    deployment,
    browser,
    publicClient,
    async openPage(pathname, account) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const wallet = await installTestWallet(page, { rpcUrl: chain.rpcUrl, chainId: LOCAL_CHAIN_ID, account });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(new URL(pathname, server.url).toString());
      await connectThroughUi(page);
      return { page, wallet, context };
    },
    async send(account, address, abi, functionName, args, value) {
      const wallet = createWalletClient({ account, chain: viemChain, transport: http(chain.rpcUrl) });
      const hash = await wallet.writeContract({ address, abi, functionName, args, value } as never);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`${functionName} reverted (${hash})`);
      return hash;
    },
    read(address, abi, functionName, args) {
      return publicClient.readContract({ address, abi, functionName, args } as never) as never;
    },
    startIndexer() {
      indexer ??= startIndexer();
      return indexer;
    },
    async timeTravel(seconds) {
      await publicClient.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
      await publicClient.request({ method: "evm_mine" as never, params: [] as never });
    },
    async screenshot(page, name) {
      const file = path.join(RESULTS_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browser.close();
      await server.stop();
      await chain.stop();
      killAll();
    },
  };
  return stack;
}

/** Clicks the header's "Connect wallet" and picks the test wallet, as a user would. */
export async function connectThroughUi(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByRole("menuitem", { name: "CoinPays Test Wallet" }).click();
  await page.getByTestId("connected-address").waitFor();
}

/** The web app reads addresses from the committed generated deployment: a fresh chain must match it. */
function assertSameAddresses(deployment: Deployment): void {
  const committed = getDeployment(LOCAL_CHAIN_ID);
  if (!committed) throw new Error("no committed deployment for chain 31337 in @coinpays/sdk/contracts");
  for (const [name, contract] of Object.entries(deployment.contracts)) {
    const expected = (committed.contracts as Record<string, { address: string }>)[name]?.address;
    if (expected?.toLowerCase() !== contract.address.toLowerCase()) {
      throw new Error(`${name} deployed at ${contract.address}, but the web app uses ${expected}: regenerate @coinpays/sdk/contracts`);
    }
  }
}
