// What the analytics page asks the server for and how it reads the answers. Amounts arrive as decimal
// strings (base units, or USD with up to 8 places) and are added up here as bigints; charts get JS numbers
// only for drawing, every figure shown as text is the exact string.
import { formatUnits, parseUnits } from "viem";

export const USD_DECIMALS = 8;

export type Interval = "hour" | "day";
export type Scope = { merchantId: string; subAccounts: "include" | "exclude" };
export type Range = { from: number; to: number; interval: Interval };
export type Filters = { chainId?: number; token?: string };

export const PRESETS = [
  { id: "24h", label: "24 hours", seconds: 86_400, interval: "hour" },
  { id: "7d", label: "7 days", seconds: 7 * 86_400, interval: "hour" },
  { id: "30d", label: "30 days", seconds: 30 * 86_400, interval: "day" },
  { id: "90d", label: "90 days", seconds: 90 * 86_400, interval: "day" },
  { id: "365d", label: "1 year", seconds: 365 * 86_400, interval: "day" },
] as const;
/** The server's limit for hour buckets (indexer/src/api/params.ts). */
export const MAX_HOUR_RANGE_SECONDS = 93 * 86_400;

/**
 * The last `seconds` in whole buckets: the range ends at the bucket boundary after now plus a margin, because
 * block timestamps run ahead of this clock (a node's, or a local chain that mines a block per second), and a
 * payment stamped after `to` would be in the bucket's total but not in the lists.
 */
export function presetRange(seconds: number, interval: Interval, now: number): Range {
  const bucket = interval === "hour" ? 3_600 : 86_400;
  const to = Math.ceil((now + CLOCK_MARGIN_SECONDS) / bucket) * bucket;
  return { from: Math.floor((to - seconds) / bucket) * bucket, to, interval };
}
const CLOCK_MARGIN_SECONDS = 900;

export function analyticsUrl(scope: Scope, metric: string, range: Range, filters: Filters, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ from: String(range.from), to: String(range.to), interval: range.interval, subAccounts: scope.subAccounts, ...extra });
  if (filters.chainId !== undefined) query.set("chainId", String(filters.chainId));
  if (filters.token) query.set("token", filters.token);
  return `/api/merchants/${scope.merchantId}/analytics/${metric}?${query}`;
}

export const usdToE8 = (usd: string | null | undefined): bigint => (usd ? parseUnits(usd, USD_DECIMALS) : 0n);
export const e8ToUsd = (e8: bigint): string => formatUnits(e8, USD_DECIMALS);
/** For chart geometry only. */
export const plot = (decimal: string): number => Number(decimal);

/** "$1,234.56" from an exact decimal string, rounded to cents for display (the CSV keeps every digit). */
export function formatUsd(usd: string): string {
  const [whole = "0", fraction = ""] = usd.split(".");
  const cents = BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2)) + (Number(fraction[2] ?? "0") >= 5 ? 1n : 0n);
  const dollars = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `$${dollars}.${(cents % 100n).toString().padStart(2, "0")}`;
}

export function bucketLabel(bucketStart: number, interval: Interval): string {
  const date = new Date(bucketStart * 1000);
  return interval === "hour"
    ? `${date.toISOString().slice(5, 10)} ${date.toISOString().slice(11, 16)}`
    : date.toISOString().slice(0, 10);
}

export type RevenueRow = {
  bucketStart: number;
  chainId: number;
  token: string;
  paymentCount: number;
  volume: string;
  merchantAmount: string;
  fees: string;
  volumeUsd: string;
  unpricedCount: number;
  uniquePayers: number;
  refundCount: number;
  refundVolume: string;
  refundVolumeUsd: string;
};

/** Every bucket start of the range, so that a chart's time axis has no gaps where nothing happened. */
export function bucketStarts(range: Range): number[] {
  const seconds = range.interval === "hour" ? 3_600 : 86_400;
  const starts: number[] = [];
  for (let start = Math.floor(range.from / seconds) * seconds; start < range.to; start += seconds) starts.push(start);
  return starts;
}

/** Revenue rows (one per bucket, chain and token) folded into one point per bucket of the range, in USD, for the chart. */
export function revenueSeries(rows: RevenueRow[], range: Range) {
  const interval = range.interval;
  const buckets = new Map<number, { paymentCount: number; volumeUsdE8: bigint; refundUsdE8: bigint }>();
  for (const row of rows) {
    const entry = buckets.get(row.bucketStart) ?? { paymentCount: 0, volumeUsdE8: 0n, refundUsdE8: 0n };
    entry.paymentCount += row.paymentCount;
    entry.volumeUsdE8 += usdToE8(row.volumeUsd);
    entry.refundUsdE8 += usdToE8(row.refundVolumeUsd);
    buckets.set(row.bucketStart, entry);
  }
  for (const start of bucketStarts(range)) if (!buckets.has(start)) buckets.set(start, { paymentCount: 0, volumeUsdE8: 0n, refundUsdE8: 0n });
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([bucketStart, entry]) => ({
      bucket: bucketLabel(bucketStart, interval),
      payments: entry.paymentCount,
      volumeUsd: e8ToUsd(entry.volumeUsdE8),
      refundsUsd: e8ToUsd(entry.refundUsdE8),
      volumeUsdPlot: plot(e8ToUsd(entry.volumeUsdE8)),
      refundsUsdPlot: plot(e8ToUsd(entry.refundUsdE8)),
    }));
}

/** Totals per token of the revenue rows: volume, what the merchant kept, fees and refunds in base units. */
export function revenueByToken(rows: RevenueRow[]) {
  const tokens = new Map<string, { chainId: number; token: string; paymentCount: number; volume: bigint; merchantAmount: bigint; fees: bigint; refundVolume: bigint; volumeUsdE8: bigint }>();
  for (const row of rows) {
    const key = `${row.chainId}:${row.token}`;
    const entry = tokens.get(key) ?? { chainId: row.chainId, token: row.token, paymentCount: 0, volume: 0n, merchantAmount: 0n, fees: 0n, refundVolume: 0n, volumeUsdE8: 0n };
    entry.paymentCount += row.paymentCount;
    entry.volume += BigInt(row.volume);
    entry.merchantAmount += BigInt(row.merchantAmount);
    entry.fees += BigInt(row.fees);
    entry.refundVolume += BigInt(row.refundVolume);
    entry.volumeUsdE8 += usdToE8(row.volumeUsd);
    tokens.set(key, entry);
  }
  return [...tokens.values()].sort((a, b) => (b.volumeUsdE8 > a.volumeUsdE8 ? 1 : b.volumeUsdE8 < a.volumeUsdE8 ? -1 : 0));
}
