/** Seeds the local chain with dev-token balances and demo payments. Run after scripts/deploy.ts. */
import { readDeployment } from "./lib/deploy.ts";
import { LOCAL_CHAIN_ID } from "./lib/dev-accounts.ts";
import { seedLocalChain } from "./lib/seed.ts";

const rpcUrl = process.env.RPC_URL ?? "http://127.0.0.1:8545";
const deployment = await readDeployment(LOCAL_CHAIN_ID);
if (!deployment) throw new Error("no deployments/31337.json: run scripts/deploy.ts first");
try {
  await seedLocalChain(rpcUrl, deployment);
} catch (error) {
  // viem's errors carry the whole ABI; the short message says what went wrong.
  console.error((error as { shortMessage?: string }).shortMessage ?? error);
  console.error("seeding expects a freshly deployed local chain (the dev stack starts one every time)");
  process.exit(1);
}
