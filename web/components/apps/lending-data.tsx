"use client";

// Reads of CoinPaysLending shared by the lending pages and the checkout's "pay with credit": the deployed
// markets, a market's totals/rate/price, and an account's position. The math on top is in lending-math.ts.
import { chainlinkOracleAdapterAbi, coinPaysLendingAbi, kinkedRateModelAbi } from "@coinpays/sdk/contracts";
import { type Abi, type Address, type Hex } from "viem";
import { useReadContract, useReadContracts } from "wagmi";
import { ORACLE_SCALE, type MarketTotals, type Position } from "./lending-math.ts";
import { Badge, fmt, useDeployment, type TokenInfo } from "./ui.tsx";

export const lendingAbi = coinPaysLendingAbi as Abi;
const SECONDS_PER_YEAR = 31_536_000;

export type MarketParams = { loanToken: Address; collateralToken: Address; oracle: Address; rateModel: Address; lltv: bigint };
export type LendingMarketInfo = { id: Hex; params: MarketParams; feed: Address };

export function useMarkets(): LendingMarketInfo[] {
  const deployment = useDeployment();
  return (deployment?.lending.markets ?? []).map((m) => ({
    id: m.id as Hex,
    params: { loanToken: m.loanToken as Address, collateralToken: m.collateralToken as Address, oracle: m.oracle as Address, rateModel: m.rateModel as Address, lltv: BigInt(m.lltv) } satisfies MarketParams,
    feed: m.feed as Address,
  }));
}

/** Market totals, borrow rate, oracle price: everything a market row or page needs, refreshed every 4 s. */
export function useMarketState(id: Hex, params: MarketParams) {
  const lending = useDeployment()!.contracts.CoinPaysLending.address as Address;
  const { data: market } = useReadContract({ address: lending, abi: lendingAbi, functionName: "market", args: [id], query: { refetchInterval: 4_000 } });
  const totals = market as MarketTotals | undefined;
  const { data: rate } = useReadContract({ address: params.rateModel, abi: kinkedRateModelAbi as Abi, functionName: "borrowRate", args: [params, totals], query: { enabled: !!totals, refetchInterval: 4_000 } });
  const { data: tryPrice } = useReadContract({ address: params.oracle, abi: chainlinkOracleAdapterAbi as Abi, functionName: "tryPrice", query: { refetchInterval: 2_000 } });
  const [priceOk, price] = (tryPrice as [boolean, bigint] | undefined) ?? [];
  const utilisation = totals && totals.totalSupplyAssets > 0n ? Number((totals.totalBorrowAssets * 1_000_000n) / totals.totalSupplyAssets) / 1_000_000 : 0;
  const perSecond = rate !== undefined ? Number(rate as bigint) / 1e18 : undefined;
  // Display only: compounded per second over a year. Amounts never go through floats.
  const borrowApy = perSecond !== undefined ? Math.expm1(perSecond * SECONDS_PER_YEAR) : undefined;
  const supplyApy = borrowApy !== undefined && totals ? borrowApy * utilisation * (1 - Number(totals.fee) / 1e18) : undefined;
  // The contract treats ok with a zero price as unavailable too.
  return { totals, price: priceOk && price ? price : undefined, priceOk: tryPrice === undefined ? undefined : !!(priceOk && price), utilisation, borrowApy, supplyApy };
}

/** An account's stored position and its debt with interest accrued to now, refreshed every 3 s. */
export function usePosition(id: Hex, params: MarketParams, account: Address | undefined) {
  const lending = useDeployment()!.contracts.CoinPaysLending.address as Address;
  const { data } = useReadContracts({
    contracts: [
      { address: lending, abi: lendingAbi, functionName: "position", args: [id, account] },
      { address: lending, abi: lendingAbi, functionName: "expectedBorrowAssets", args: [params, account] },
    ],
    query: { enabled: !!account, refetchInterval: 3_000 },
  });
  const position = data?.[0]?.result as Position | undefined;
  const debt = data?.[1]?.result as bigint | undefined;
  return { position, debt };
}

export const pct = (x: number | undefined) => (x === undefined ? "…" : `${(x * 100).toFixed(2)}%`);

/** Price of one whole collateral token in loan tokens, from the 1e36-scaled oracle price. */
export function priceInLoan(price: bigint | undefined, collateral: TokenInfo, loan: TokenInfo): string {
  if (price === undefined) return "unavailable";
  return fmt((price * 10n ** BigInt(collateral.decimals)) / ORACLE_SCALE, loan.decimals, loan.symbol);
}

/** A health factor for text: "∞" without debt, four decimals otherwise. */
export function formatHealthFactor(hf: number | undefined): string {
  return hf === undefined ? "…" : hf === Infinity ? "∞" : hf.toFixed(4);
}

export function HealthBadge({ hf }: { hf: number | undefined }) {
  if (hf === undefined) return <Badge tone="amber">price unavailable</Badge>;
  if (hf === Infinity) return <Badge tone="green">no debt</Badge>;
  return <Badge tone={hf < 1 ? "red" : hf < 1.1 ? "amber" : "green"}>{hf.toFixed(4)}</Badge>;
}
