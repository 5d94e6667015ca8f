import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createPublicClient, createWalletClient, getAddress, http, zeroAddress, type Abi, type Address, type Hex } from "viem";
import { readArtifact, type PublishedContract } from "../../scripts/lib/artifacts.ts";
import { DEV_LENDING, deployCoinPays, type LendingMarketSpec } from "../../scripts/lib/deploy.ts";
import { devAccount } from "../../scripts/lib/dev-accounts.ts";
import { startLocalChain } from "../../scripts/lib/local-chain.ts";
import { ROOT } from "../../scripts/lib/paths.ts";
import { freePort, startProcess, waitFor, type ManagedProcess } from "../../scripts/lib/processes.ts";

// The deploy script against a real node: the local chain's dev market, and a real chain's markets from the
// options scripts/deploy.ts reads out of LENDING_MARKETS / SEQUENCER_UPTIME_FEED (a node started as chain 10,
// OP Mainnet's id, stands in for an L2).

const account = devAccount(0);
const adapterAbi = async () => (await readArtifact("ChainlinkOracleAdapter")).abi;
const quiet = () => {};

async function readAdapter(rpcUrl: string, oracle: Address) {
  const client = createPublicClient({ transport: http(rpcUrl) });
  const abi = await adapterAbi();
  const read = (functionName: string) => client.readContract({ address: oracle, abi, functionName } as never) as Promise<unknown>;
  const [minAnswer, maxAnswer, sequencerUptimeFeed, gracePeriod, maxStaleness, tryPrice] = await Promise.all(
    ["minAnswer", "maxAnswer", "sequencerUptimeFeed", "gracePeriod", "maxStaleness", "tryPrice"].map(read));
  return { minAnswer, maxAnswer, sequencerUptimeFeed, gracePeriod, maxStaleness, tryPrice };
}

describe("deploy: the lending oracle adapter's configuration", function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), "coinpays-deploy-")); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it("on the local chain: the dev market's adapter has the dev bounds and no sequencer check, and a second run sends nothing", async () => {
    const chain = await startLocalChain();
    try {
      const deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account, deploymentsDir: dir, log: quiet });
      const market = deployment.lending.markets[0]!;
      const adapter = await readAdapter(chain.rpcUrl, market.oracle);
      expect(adapter).to.deep.include({ minAnswer: DEV_LENDING.minAnswer, maxAnswer: DEV_LENDING.maxAnswer, sequencerUptimeFeed: zeroAddress, gracePeriod: 0n, maxStaleness: DEV_LENDING.maxStaleness });
      expect(adapter.tryPrice).to.deep.equal([true, DEV_LENDING.initialPrice * 10n ** 16n]);
      const lines: string[] = [];
      const again = await deployCoinPays({ rpcUrl: chain.rpcUrl, account, deploymentsDir: dir, log: (m) => lines.push(m) });
      expect(again.lending.markets).to.deep.equal(deployment.lending.markets);
      expect(lines.filter((l) => / deployed at |^CoinPaysLending\./.test(l))).to.deep.equal([]);
    } finally {
      await chain.stop();
    }
  });

  describe("on a real chain (an L2)", () => {
    let node: ManagedProcess;
    let rpcUrl: string;
    let tokens: { loan: Address; collateral: Address; feed: Address; sequencer: Address; priceFeedAsSequencer: Address };
    before(async function () {
      this.timeout(120_000);
      const port = await freePort();
      node = startProcess(path.join(ROOT, "node_modules/.bin/hardhat"), ["node", "--chain-id", "10", "--port", String(port)], { cwd: ROOT, label: "chain-10", env: process.env });
      rpcUrl = `http://127.0.0.1:${port}`;
      const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
      await waitFor("the chain to answer", async () => ((await client.getChainId()) === 10 ? true : undefined), 60_000, node);
      const wallet = createWalletClient({ account, transport: http(rpcUrl), chain: { id: 10, name: "op-test", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } } });
      const deploy = async (name: PublishedContract | "MockSequencerUptimeFeed", args: readonly unknown[]) => {
        const artifact = name === "MockSequencerUptimeFeed"
          ? (await import(path.join(ROOT, "artifacts/contracts/mocks/MockSequencerUptimeFeed.sol/MockSequencerUptimeFeed.json"), { with: { type: "json" } })).default as { abi: Abi; bytecode: Hex }
          : await readArtifact(name);
        const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args, account, chain: wallet.chain });
        return getAddress((await client.waitForTransactionReceipt({ hash })).contractAddress!);
      };
      // Stand-ins for the chain's real tokens and Chainlink feeds.
      tokens = {
        loan: await deploy("MockERC20", ["USD Coin", "USDC", 6]),
        collateral: await deploy("MockERC20", ["Wrapped Ether", "WETH", 18]),
        feed: await deploy("MockAggregatorV3", [8, 3_000n * 10n ** 8n]),
        sequencer: await deploy("MockSequencerUptimeFeed", []),
        priceFeedAsSequencer: await deploy("MockAggregatorV3", [8, 3_000n * 10n ** 8n]),
      };
    });
    after(async () => { await node?.stop(); });

    const spec = (over: Partial<LendingMarketSpec> = {}): LendingMarketSpec => ({
      loanToken: tokens.loan, collateralToken: tokens.collateral, feed: tokens.feed, maxStaleness: 3_900n,
      minAnswer: 100n * 10n ** 8n, maxAnswer: 100_000n * 10n ** 8n, lltv: 860_000_000_000_000_000n, minBorrow: 1_000_000n, ...over,
    });

    it("refuses markets without an explicit sequencer choice, a feed outside the bounds, and an address that is no uptime feed, before sending anything", async () => {
      const client = createPublicClient({ transport: http(rpcUrl) });
      const nonce = await client.getTransactionCount({ address: account.address });
      const attempt = (options: Partial<Parameters<typeof deployCoinPays>[0]>) =>
        deployCoinPays({ rpcUrl, account, deploymentsDir: dir, log: quiet, lendingMarkets: [spec()], ...options }).then(() => "deployed", (e: Error) => e.message);
      expect(await attempt({})).to.match(/explicit sequencer choice/);
      expect(await attempt({ sequencer: null, lendingMarkets: [spec({ minAnswer: 4_000n * 10n ** 8n })] })).to.match(/outside the bounds/);
      expect(await attempt({ sequencer: null, lendingMarkets: [spec({ minAnswer: 0n })] })).to.match(/0 < min < max/);
      // A price feed answers 3000e8, not 0 or 1.
      expect(await attempt({ sequencer: { feed: tokens.priceFeedAsSequencer, gracePeriod: 3_600n } })).to.match(/does not look like a sequencer-uptime feed/);
      expect(await client.getTransactionCount({ address: account.address })).to.equal(nonce);
    });

    it("deploys each market's adapter with its bounds and the chain's sequencer feed, which then gates the price", async () => {
      const deployment = await deployCoinPays({ rpcUrl, account, deploymentsDir: dir, log: quiet, lendingMarkets: [spec()], sequencer: { feed: tokens.sequencer, gracePeriod: 3_600n } });
      expect(deployment.lending.markets).to.have.length(1);
      const market = deployment.lending.markets[0]!;
      expect(market).to.deep.include({ loanToken: tokens.loan, collateralToken: tokens.collateral, feed: tokens.feed, lltv: "860000000000000000" });
      const adapter = await readAdapter(rpcUrl, market.oracle);
      expect(adapter).to.deep.include({ minAnswer: 100n * 10n ** 8n, maxAnswer: 100_000n * 10n ** 8n, sequencerUptimeFeed: tokens.sequencer, gracePeriod: 3_600n, maxStaleness: 3_900n });
      // The mock sequencer came "up" when it was deployed, less than an hour ago: the grace period is running.
      expect(adapter.tryPrice).to.deep.equal([false, 0n]);
      // Same configuration: the recorded adapter and market are kept. New bounds: a new adapter, so a new market.
      const again = await deployCoinPays({ rpcUrl, account, deploymentsDir: dir, log: quiet, lendingMarkets: [spec()], sequencer: { feed: tokens.sequencer, gracePeriod: 3_600n } });
      expect(again.lending.markets).to.deep.equal(deployment.lending.markets);
      const moved = await deployCoinPays({ rpcUrl, account, deploymentsDir: dir, log: quiet, lendingMarkets: [spec({ maxAnswer: 50_000n * 10n ** 8n })], sequencer: { feed: tokens.sequencer, gracePeriod: 3_600n } });
      expect(moved.lending.markets[0]!.oracle).to.not.equal(market.oracle);
      expect((await readAdapter(rpcUrl, moved.lending.markets[0]!.oracle)).maxAnswer).to.equal(50_000n * 10n ** 8n);
    });
  });
});
