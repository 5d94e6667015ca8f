import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  maxUint256,
  parseUnits,
  stringToHex,
  zeroAddress,
  type Account,
  type Address,
  type Hash,
  type Hex,
} from "viem";
import { readArtifact } from "./artifacts.ts";
import { devAccount, devAccounts } from "./dev-accounts.ts";
import type { Deployment } from "./deploy.ts";

/** Who plays which part in the seeded demo (Hardhat's dev accounts #1-#3; #0 deploys and relays). */
export const DEMO = {
  merchant: devAccount(1),
  payer: devAccount(2),
  qrPayer: devAccount(3),
  relayer: devAccount(0),
  faucetAmount: 10_000n,
} as const;

/** The order reference the gateway would derive for a human order id. */
export function orderRefOf(orderId: string): Hex {
  return keccak256(stringToHex(orderId));
}

export interface SeedResult {
  merchant: Address;
  routerPayment: { orderRef: Hex; transactionHash: Hash };
  nativePayment: { orderRef: Hex; transactionHash: Hash };
  depositPayment: { orderRef: Hex; depositAddress: Address; sweepTransactionHash: Hash };
}

/**
 * Seeds the local chain: dev-token balances for the 20 well-known dev accounts, then one payment of each
 * kind to the demo merchant (router ERC-20, router native, deposit address + sweep) so every screen and
 * every indexer table has something real in it.
 */
export async function seedLocalChain(rpcUrl: string, deployment: Deployment, log = (m: string) => console.log(m)): Promise<SeedResult> {
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ transport });
  const chain = { id: deployment.chainId, name: deployment.name, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  const tokenAbi = (await readArtifact("MockERC20")).abi;
  const routerAbi = (await readArtifact("PaymentRouter")).abi;
  const factoryAbi = (await readArtifact("DepositAddressFactory")).abi;
  const router = deployment.contracts.PaymentRouter.address;
  const factory = deployment.contracts.DepositAddressFactory.address;
  const usdc = deployment.tokens.find((t) => t.symbol === "USDC");
  if (!usdc) throw new Error("seeding needs the USDC dev token: deploy to the local chain first");

  async function write(account: Account, address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[], value?: bigint): Promise<Hash> {
    const wallet = createWalletClient({ account, chain, transport });
    const hash = await wallet.writeContract({ address, abi: abi as never, functionName: functionName as never, args: args as never, value } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted in ${hash}`);
    return hash;
  }

  for (const token of deployment.tokens.filter((t) => t.mock)) {
    for (const account of devAccounts()) {
      await write(DEMO.relayer, token.address, tokenAbi, "mint", [account.address, DEMO.faucetAmount * 10n ** BigInt(token.decimals)]);
    }
    log(`minted ${DEMO.faucetAmount} ${token.symbol} to each of the 20 dev accounts`);
  }

  const merchant = DEMO.merchant.address;
  const routerRef = orderRefOf("demo-order-router-usdc");
  await write(DEMO.payer, usdc.address, tokenAbi, "approve", [router, maxUint256]);
  const routerTx = await write(DEMO.payer, router, routerAbi, "pay", [routerRef, merchant, usdc.address, parseUnits("25", usdc.decimals)]);
  log(`demo payment: 25 USDC to the demo merchant through the router (${routerTx})`);

  const nativeRef = orderRefOf("demo-order-router-eth");
  const nativeTx = await write(DEMO.payer, router, routerAbi, "pay", [nativeRef, merchant, zeroAddress, parseUnits("0.05", 18)], parseUnits("0.05", 18));
  log(`demo payment: 0.05 ETH to the demo merchant through the router (${nativeTx})`);

  const depositRef = orderRefOf("demo-order-qr-usdc");
  const depositAddress = (await publicClient.readContract({ address: factory, abi: factoryAbi, functionName: "predict", args: [merchant, depositRef] })) as Address;
  await write(DEMO.qrPayer, usdc.address, tokenAbi, "transfer", [depositAddress, parseUnits("12.5", usdc.decimals)]);
  const sweepTx = await write(DEMO.relayer, factory, factoryAbi, "sweep", [merchant, depositRef, usdc.address]);
  log(`demo payment: 12.5 USDC sent to deposit address ${depositAddress} and swept (${sweepTx})`);

  return {
    merchant,
    routerPayment: { orderRef: routerRef, transactionHash: routerTx },
    nativePayment: { orderRef: nativeRef, transactionHash: nativeTx },
    depositPayment: { orderRef: depositRef, depositAddress, sweepTransactionHash: sweepTx },
  };
}
