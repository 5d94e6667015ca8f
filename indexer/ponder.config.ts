import { createConfig, factory } from "ponder";
import { getAbiItem } from "viem";
import {
  coinPaysLendingAbi,
  creditPaymentAbi,
  depositAddressFactoryAbi,
  escrowAbi,
  getDeployment,
  loyaltyCheckoutAbi,
  loyaltyProgramFactoryAbi,
  loyaltyTokenAbi,
  paymentRouterAbi,
  splitMainAbi,
  subscriptionsAbi,
} from "@coinpays/sdk/contracts";
import { assertExplicitHostname, loadApiAccess } from "./src/api/access.ts";

// The HTTP API's access settings (src/api/access.ts) are checked here, before anything is indexed: a
// production indexer without its own INDEXER_API_SECRET, or any Ponder process about to listen on every
// network interface for want of --hostname, stops now with the reason.
loadApiAccess();
assertExplicitHostname(process.argv);

// One chain per indexer instance for now; which one comes from the environment so the same app indexes
// the local chain in development and any configured network in production.
const chainId = Number(process.env.CHAIN_ID ?? 31337);
const rpcUrl = process.env[`PONDER_RPC_URL_${chainId}`] ?? process.env.RPC_URL ?? "http://127.0.0.1:8545";
const deployment = getDeployment(chainId);
if (!deployment) {
  throw new Error(`CoinPays is not deployed on chain ${chainId}: run scripts/deploy.ts and scripts/codegen.ts`);
}
const isLocalChain = chainId === 31337;
// Ponder throttles each RPC endpoint on the client side: it starts at 20 requests/s and raises the limit by 5 %
// only after 5 × limit requests in a row succeed. That is polite to a hosted provider and a pure throttle for the
// node on this machine (a 200,000-payment backfill spent two thirds of its time waiting on it). Ponder keeps one
// limiter per listed endpoint, so the local node is listed once per lane; remote chains keep Ponder's behaviour.
const LOCAL_RPC_LANES = 16;

/** A contract of the deployment, indexed from the block it was deployed in. */
function deployed<const TAbi extends readonly unknown[]>(name: keyof NonNullable<typeof deployment>["contracts"], abi: TAbi) {
  const contract = deployment!.contracts[name];
  return { chain: "coinpays" as const, abi, address: contract.address, startBlock: contract.blockNumber };
}

export default createConfig({
  // PostgreSQL when DATABASE_URL is set (tests, production), else embedded PGlite (the local stack).
  database: process.env.DATABASE_URL
    ? {
        kind: "postgres",
        connectionString: process.env.DATABASE_URL,
        // Every connection of Ponder's pools (the API's read-only pool among them; Ponder takes one pool
        // config for all) starts with jit = off: the analytics queries are short index scans that JIT
        // compiled for ~300 ms each, more than they take. An `options` parameter in DATABASE_URL wins over this.
        poolConfig: { options: "-c jit=off" },
      }
    : { kind: "pglite", directory: process.env.PONDER_PGLITE_DIR ?? ".ponder/pglite" },
  chains: {
    coinpays: {
      id: chainId,
      rpc: isLocalChain ? Array.from({ length: LOCAL_RPC_LANES }, () => rpcUrl) : rpcUrl,
      // The local chain is recreated on every start, so cached RPC answers would describe another chain.
      disableCache: isLocalChain,
      pollingInterval: isLocalChain ? 250 : 1_000,
    },
  },
  contracts: {
    PaymentRouter: deployed("PaymentRouter", paymentRouterAbi),
    DepositAddressFactory: deployed("DepositAddressFactory", depositAddressFactoryAbi),
    Subscriptions: deployed("Subscriptions", subscriptionsAbi),
    Escrow: deployed("Escrow", escrowAbi),
    SplitMain: deployed("SplitMain", splitMainAbi),
    LoyaltyCheckout: deployed("LoyaltyCheckout", loyaltyCheckoutAbi),
    LoyaltyProgramFactory: deployed("LoyaltyProgramFactory", loyaltyProgramFactoryAbi),
    // Every merchant's loyalty token is a clone the factory announces with ProgramCreated.
    LoyaltyToken: {
      chain: "coinpays" as const,
      abi: loyaltyTokenAbi,
      address: factory({
        address: deployment.contracts.LoyaltyProgramFactory.address,
        event: getAbiItem({ abi: loyaltyProgramFactoryAbi, name: "ProgramCreated" }),
        parameter: "program",
      }),
      startBlock: deployment.contracts.LoyaltyProgramFactory.blockNumber,
    },
    CoinPaysLending: deployed("CoinPaysLending", coinPaysLendingAbi),
    CreditPayment: deployed("CreditPayment", creditPaymentAbi),
  },
});
