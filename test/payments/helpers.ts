import { expect } from "chai";
import { getAddress, type Address } from "viem";

export const NATIVE: Address = "0x0000000000000000000000000000000000000000";
export const FEE_BPS = 100n; // 1%

export const feeOf = (amount: bigint, bps: bigint = FEE_BPS) => (amount * bps) / 10_000n;
export const ref = (label: string): `0x${string}` =>
  `0x${Buffer.from(label.padEnd(32, "\0").slice(0, 32)).toString("hex")}`;

import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
type Viem = HardhatViemHelpers;

/** Deploys router, factory and the mock tokens, funds the payer and accepts native + the two tokens. */
export async function deployPayments(viem: Viem) {
  const [ownerW, feeW, merchantW, payerW, otherW, merchant2W, relayerW] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  const owner = getAddress(ownerW.account.address);
  const feeRecipient = getAddress(feeW.account.address);

  const router = await viem.deployContract("PaymentRouter", [owner, feeRecipient, Number(FEE_BPS)]);
  const factory = await viem.deployContract("DepositAddressFactory", [owner, feeRecipient, Number(FEE_BPS)]);
  const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const dai = await viem.deployContract("MockERC20", ["Dai Stablecoin", "DAI", 18]);
  const stray = await viem.deployContract("MockERC20", ["Stray Token", "STRAY", 18]);

  for (const token of [NATIVE, usdc.address, dai.address]) {
    await router.write.setTokenAccepted([token, true]);
    await factory.write.setTokenAccepted([token, true]);
  }
  const payer = getAddress(payerW.account.address);
  await usdc.write.mint([payer, 1_000_000n * 10n ** 6n]);
  await dai.write.mint([payer, 1_000_000n * 10n ** 18n]);

  return {
    publicClient,
    router,
    factory,
    usdc,
    dai,
    stray,
    wallets: { ownerW, feeW, merchantW, payerW, otherW, merchant2W, relayerW },
    owner,
    feeRecipient,
    merchant: getAddress(merchantW.account.address),
    merchant2: getAddress(merchant2W.account.address),
    payer,
    other: getAddress(otherW.account.address),
    relayer: getAddress(relayerW.account.address),
  };
}

export type Payments = Awaited<ReturnType<typeof deployPayments>>;

type TokenLike = { address: Address; read: { balanceOf: (args: [Address]) => Promise<bigint> } };

export async function balanceOf(p: Payments, token: TokenLike | typeof NATIVE, who: Address): Promise<bigint> {
  if (typeof token === "string") return p.publicClient.getBalance({ address: who });
  return token.read.balanceOf([who]);
}

/** Balances of every (token, account) pair, native included, to assert that a rejected call moved nothing. */
export async function snapshotBalances(p: Payments, accounts: Address[]) {
  const tokens: (TokenLike | typeof NATIVE)[] = [NATIVE, p.usdc, p.dai, p.stray];
  const out: Record<string, bigint> = {};
  for (const t of tokens) {
    for (const a of accounts) {
      out[`${typeof t === "string" ? "native" : t.address}:${a}`] = await balanceOf(p, t, a);
    }
  }
  return out;
}

/** Runs `action` (expected to revert) and checks that no balance of `accounts` changed. */
export async function expectNoBalanceChange(p: Payments, accounts: Address[], action: () => Promise<void>) {
  const before = await snapshotBalances(p, accounts);
  await action();
  const after = await snapshotBalances(p, accounts);
  expect(after).to.deep.equal(before);
}

/** The router and the factory never hold funds. */
export async function expectContractsHoldNothing(p: Payments, extra: TokenLike[] = []) {
  for (const holder of [p.router.address, p.factory.address]) {
    for (const t of [NATIVE, p.usdc, p.dai, p.stray, ...extra] as (TokenLike | typeof NATIVE)[]) {
      expect(await balanceOf(p, t, holder), `${holder} holds ${typeof t === "string" ? "native" : t.address}`).to.equal(0n);
    }
  }
}
