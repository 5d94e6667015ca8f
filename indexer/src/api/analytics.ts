/**
 * The merchant analytics behind the dashboard: plain functions from a parsed query to rows, over the
 * indexer's tables, with no HTTP in them (src/api/index.ts routes to them). Every query is filtered by the
 * merchant's payout addresses first. Amounts stay integer base units (decimal strings in JSON); fiat
 * values are summed as integers of 10^-8 USD and only formatted as decimal strings at the end.
 */
import { and, desc, eq, gte, inArray, isNotNull, lt, sql } from "ponder";
type SQL = ReturnType<typeof sql>;
import type { AnyPgColumn, ReadonlyDrizzle } from "ponder";
import schema from "ponder:schema";
import { formatUnits, type Address } from "viem";
import { USD_DECIMALS } from "../prices.ts";
import { INTERVAL_SECONDS, type AnalyticsQuery } from "./params.ts";

type Db = ReadonlyDrizzle<typeof schema>;
export type Row = Record<string, string | number | boolean | null>;
/**
 * A row with exactly the given columns. Each endpoint names its columns once: the type makes every row
 * builder produce exactly those keys, and the CSV export writes them as its header even when no row matches.
 */
type RowOf<C extends readonly string[]> = Record<C[number], string | number | boolean | null>;

const REVENUE_COLUMNS = ["bucketStart", "bucketStartIso", "chainId", "token", "paymentCount", "volume", "merchantAmount", "fees", "volumeUsd", "unpricedCount", "uniquePayers", "refundCount", "refundVolume", "refundVolumeUsd"] as const;
const TOP_PAYER_COLUMNS = ["rank", "payer", "paymentCount", "volumeUsd", "unpricedCount", "volumes"] as const;
const METHOD_MIX_COLUMNS = ["method", "chainId", "token", "paymentCount", "volume", "volumeUsd", "unpricedCount"] as const;
const REFUND_COLUMNS = ["source", "paymentId", "orderRef", "recipient", "chainId", "token", "amount", "valueUsd", "timestamp", "transactionHash"] as const;
const SPLIT_PAYOUT_COLUMNS = ["split", "chainId", "token", "ruleSetVersion", "distributor", "amount", "distributorFee", "credited", "merchantAllocationPpm", "merchantShare", "timestamp", "transactionHash"] as const;
const LOYALTY_COLUMNS = ["bucketStart", "bucketStartIso", "program", "issued", "redeemed", "clawedBack"] as const;
const LENDING_COLUMNS = ["chainId", "marketId", "loanToken", "collateralToken", "lltv", "totalSupplyAssets", "totalBorrowAssets", "totalCollateral", "utilisation", "creditPaymentCount", "creditVolume", "merchantSupplyShares", "merchantBorrowShares", "merchantCollateral"] as const;

const usd = (e8: bigint | string | null | undefined): string => formatUnits(BigInt(e8 ?? 0), USD_DECIMALS);
const big = (value: string | null | undefined): bigint => BigInt(value ?? 0);
/** A numeric aggregate read back exactly (text, never a JS number). */
const sumText = (column: SQL | unknown) => sql<string>`coalesce(sum(${column}), 0)::text`;

function rangeFilters(table: { merchant: AnyPgColumn; timestamp: AnyPgColumn; chainId: AnyPgColumn; token?: AnyPgColumn }, q: AnalyticsQuery): SQL {
  return and(
    inArray(table.merchant, q.merchants),
    gte(table.timestamp, q.from),
    lt(table.timestamp, q.to),
    q.chainId === undefined ? undefined : eq(table.chainId, q.chainId),
    q.token === undefined || !table.token ? undefined : eq(table.token, q.token),
  )!;
}

/** Rollup-keyed rows (revenue rollups, payer overlaps) of the query's merchants, interval and buckets. */
function bucketFilters(table: { merchant: AnyPgColumn; period: AnyPgColumn; bucketStart: AnyPgColumn; chainId: AnyPgColumn; token: AnyPgColumn }, q: AnalyticsQuery, firstBucket: bigint): SQL {
  return and(
    inArray(table.merchant, q.merchants),
    eq(table.period, q.interval),
    gte(table.bucketStart, firstBucket),
    lt(table.bucketStart, q.to),
    q.chainId === undefined ? undefined : eq(table.chainId, q.chainId),
    q.token === undefined ? undefined : eq(table.token, q.token),
  )!;
}

/** Ratio of two integers as a decimal string with `decimals` places, rounded down; "0" when `of` is zero. */
export function ratio(part: bigint, of: bigint, decimals = 6): string {
  if (of === 0n) return "0";
  return formatUnits((part * 10n ** BigInt(decimals)) / of, decimals);
}

// ------------------------------------------------------------------------------------- revenue over time

/**
 * Revenue per bucket (hour or day, UTC) and per chain and token, from the rollups. A bucket is included
 * when it starts in [from rounded down to the interval, to). `uniquePayers` is exact for the rows it is
 * given on: with several merchant addresses it counts distinct payers across them.
 */
export async function revenueOverTime(db: Db, q: AnalyticsQuery) {
  const r = schema.revenueRollup;
  const seconds = INTERVAL_SECONDS[q.interval];
  const firstBucket = (q.from / seconds) * seconds;
  const where = bucketFilters(r, q, firstBucket);
  const rows = await db
    .select({
      bucketStart: r.bucketStart,
      chainId: r.chainId,
      token: r.token,
      paymentCount: sumText(r.paymentCount),
      volume: sumText(r.volume),
      merchantAmount: sumText(r.merchantAmount),
      fees: sumText(r.fees),
      volumeUsdE8: sumText(r.volumeUsdE8),
      unpricedCount: sumText(r.unpricedCount),
      uniquePayers: sumText(r.uniquePayers),
      refundCount: sumText(r.refundCount),
      refundVolume: sumText(r.refundVolume),
      refundVolumeUsdE8: sumText(r.refundVolumeUsdE8),
    })
    .from(r)
    .where(where)
    .groupBy(r.bucketStart, r.chainId, r.token)
    .orderBy(r.bucketStart, r.chainId, r.token);
  // Each rollup row counts its own payers; across several payout addresses a payer who paid k of them in a
  // bucket is counted k times by the sum. Only such payers are in `payer_overlap`, so the correction reads
  // those rows (few: a payer paying two of a merchant's addresses in the same bucket and token) instead of
  // every payer of every address.
  if (q.merchants.length > 1) {
    const o = schema.payerOverlap;
    const repeated = db
      .select({ bucketStart: o.bucketStart, chainId: o.chainId, token: o.token, extra: sql<number>`count(*) - 1`.as("extra") })
      .from(o)
      .where(bucketFilters(o, q, firstBucket))
      .groupBy(o.bucketStart, o.chainId, o.token, o.payer)
      .having(sql`count(*) > 1`)
      .as("repeated");
    const corrections = await db
      .select({ bucketStart: repeated.bucketStart, chainId: repeated.chainId, token: repeated.token, extra: sql<string>`sum(${repeated.extra})::text` })
      .from(repeated)
      .groupBy(repeated.bucketStart, repeated.chainId, repeated.token);
    const extraByBucket = new Map(corrections.map((c) => [`${c.bucketStart}:${c.chainId}:${c.token}`, big(c.extra)]));
    for (const row of rows) {
      const extra = extraByBucket.get(`${row.bucketStart}:${row.chainId}:${row.token}`);
      if (extra) row.uniquePayers = (big(row.uniquePayers) - extra).toString();
    }
  }
  const totals = { paymentCount: 0n, volumeUsdE8: 0n, refundCount: 0n, refundVolumeUsdE8: 0n, unpricedCount: 0n };
  const data = rows.map((row): RowOf<typeof REVENUE_COLUMNS> => {
    totals.paymentCount += big(row.paymentCount);
    totals.volumeUsdE8 += big(row.volumeUsdE8);
    totals.refundCount += big(row.refundCount);
    totals.refundVolumeUsdE8 += big(row.refundVolumeUsdE8);
    totals.unpricedCount += big(row.unpricedCount);
    return {
      bucketStart: Number(row.bucketStart),
      bucketStartIso: new Date(Number(row.bucketStart) * 1000).toISOString(),
      chainId: row.chainId,
      token: row.token,
      paymentCount: Number(row.paymentCount),
      volume: row.volume,
      merchantAmount: row.merchantAmount,
      fees: row.fees,
      volumeUsd: usd(row.volumeUsdE8),
      unpricedCount: Number(row.unpricedCount),
      uniquePayers: Number(row.uniquePayers),
      refundCount: Number(row.refundCount),
      refundVolume: row.refundVolume,
      refundVolumeUsd: usd(row.refundVolumeUsdE8),
    };
  });
  return {
    data,
    totals: {
      paymentCount: Number(totals.paymentCount),
      volumeUsd: usd(totals.volumeUsdE8),
      refundCount: Number(totals.refundCount),
      refundVolumeUsd: usd(totals.refundVolumeUsdE8),
      unpricedCount: Number(totals.unpricedCount),
    },
  };
}

// -------------------------------------------------------------------------------------------- top payers

/** The merchant's biggest payers in the range by fiat value, with what they paid per token. */
export async function topPayers(db: Db, q: AnalyticsQuery) {
  const p = schema.payment;
  const where = and(rangeFilters(p, q), isNotNull(p.payer));
  const usdSum = sql`coalesce(sum(${p.valueUsdE8}), 0)`;
  const ranked = await db
    .select({
      payer: p.payer,
      paymentCount: sql<number>`count(*)::int`,
      volumeUsdE8: sql<string>`${usdSum}::text`,
      unpricedCount: sql<number>`(count(*) - count(${p.valueUsdE8}))::int`,
    })
    .from(p)
    .where(where)
    .groupBy(p.payer)
    .orderBy(desc(usdSum), desc(sql`count(*)`), p.payer)
    .limit(q.limit);
  const payers = ranked.map((row) => row.payer!);
  const perToken = payers.length
    ? await db
        .select({ payer: p.payer, chainId: p.chainId, token: p.token, volume: sumText(p.amount) })
        .from(p)
        .where(and(where, inArray(p.payer, payers)))
        .groupBy(p.payer, p.chainId, p.token)
        .orderBy(p.payer, p.chainId, p.token)
    : [];
  const data = ranked.map((row, index): RowOf<typeof TOP_PAYER_COLUMNS> => ({
    rank: index + 1,
    payer: row.payer,
    paymentCount: row.paymentCount,
    volumeUsd: usd(row.volumeUsdE8),
    unpricedCount: row.unpricedCount,
    // One cell per payer in CSV: "chainId:token:volume" entries joined by spaces.
    volumes: perToken
      .filter((t) => t.payer === row.payer)
      .map((t) => `${t.chainId}:${t.token}:${t.volume}`)
      .join(" "),
  }));
  return { data };
}

// ------------------------------------------------------------------------------------ payment method mix

/** Payments per method (router, permit, native, deposit address, credit, loyalty, subscription) and token. */
export async function paymentMethodMix(db: Db, q: AnalyticsQuery) {
  const p = schema.payment;
  const rows = await db
    .select({
      method: p.method,
      chainId: p.chainId,
      token: p.token,
      paymentCount: sql<number>`count(*)::int`,
      volume: sumText(p.amount),
      volumeUsdE8: sumText(p.valueUsdE8),
      unpricedCount: sql<number>`(count(*) - count(${p.valueUsdE8}))::int`,
    })
    .from(p)
    .where(rangeFilters(p, q))
    .groupBy(p.method, p.chainId, p.token)
    .orderBy(p.method, p.chainId, p.token);
  const totalUsd = rows.reduce((sum, row) => sum + big(row.volumeUsdE8), 0n);
  const totalCount = rows.reduce((sum, row) => sum + row.paymentCount, 0);
  const byMethod = new Map<string, { paymentCount: number; volumeUsdE8: bigint }>();
  for (const row of rows) {
    const entry = byMethod.get(row.method) ?? { paymentCount: 0, volumeUsdE8: 0n };
    entry.paymentCount += row.paymentCount;
    entry.volumeUsdE8 += big(row.volumeUsdE8);
    byMethod.set(row.method, entry);
  }
  return {
    data: rows.map((row): RowOf<typeof METHOD_MIX_COLUMNS> => ({ method: row.method, chainId: row.chainId, token: row.token, paymentCount: row.paymentCount, volume: row.volume, volumeUsd: usd(row.volumeUsdE8), unpricedCount: row.unpricedCount })),
    methods: [...byMethod].map(([method, entry]) => ({
      method,
      paymentCount: entry.paymentCount,
      countShare: ratio(BigInt(entry.paymentCount), BigInt(totalCount), 4),
      volumeUsd: usd(entry.volumeUsdE8),
      volumeShare: ratio(entry.volumeUsdE8, totalUsd, 4),
    })),
  };
}

// ----------------------------------------------------------------------------------------------- refunds

/** Refunds (router and loyalty checkout) newest first, and totals per chain and token over the range. */
export async function refunds(db: Db, q: AnalyticsQuery) {
  const sources = [
    { source: "router", table: schema.refund },
    { source: "loyalty", table: schema.loyaltyRefund },
  ] as const;
  const listed: RowOf<typeof REFUND_COLUMNS>[] = [];
  const totals = new Map<string, { chainId: number; token: string; refundCount: number; amount: bigint; valueUsdE8: bigint }>();
  for (const { source, table } of sources) {
    const where = rangeFilters(table, q);
    const rows = await db
      .select({ paymentId: table.paymentId, orderRef: table.orderRef, recipient: table.recipient, chainId: table.chainId, token: table.token, amount: table.amount, valueUsdE8: table.valueUsdE8, timestamp: table.timestamp, transactionHash: table.transactionHash })
      .from(table)
      .where(where)
      .orderBy(desc(table.timestamp), desc(table.id))
      .limit(q.limit);
    for (const row of rows) {
      listed.push({ source, paymentId: row.paymentId, orderRef: row.orderRef, recipient: row.recipient, chainId: row.chainId, token: row.token, amount: row.amount.toString(), valueUsd: row.valueUsdE8 === null ? null : usd(row.valueUsdE8), timestamp: Number(row.timestamp), transactionHash: row.transactionHash });
    }
    const sums = await db
      .select({ chainId: table.chainId, token: table.token, refundCount: sql<number>`count(*)::int`, amount: sumText(table.amount), valueUsdE8: sumText(table.valueUsdE8) })
      .from(table)
      .where(where)
      .groupBy(table.chainId, table.token);
    for (const sum of sums) {
      const key = `${sum.chainId}:${sum.token}`;
      const entry = totals.get(key) ?? { chainId: sum.chainId, token: sum.token, refundCount: 0, amount: 0n, valueUsdE8: 0n };
      entry.refundCount += sum.refundCount;
      entry.amount += big(sum.amount);
      entry.valueUsdE8 += big(sum.valueUsdE8);
      totals.set(key, entry);
    }
  }
  listed.sort((a, b) => (b.timestamp as number) - (a.timestamp as number) || String(b.transactionHash).localeCompare(String(a.transactionHash)));
  return {
    data: listed.slice(0, q.limit),
    totals: [...totals.values()].map((t) => ({ chainId: t.chainId, token: t.token, refundCount: t.refundCount, amount: t.amount.toString(), valueUsd: usd(t.valueUsdE8) })),
  };
}

// ----------------------------------------------------------------------------------------- split payouts

/**
 * Distributions of splits that pay the merchant, read with the rule set in force at the time, and the
 * merchant's share of each exactly as SplitMain computes it: (amount - distributorFee) × allocation / 10^6.
 * Plus the merchant's withdrawals from SplitMain.
 */
export async function splitPayouts(db: Db, q: AnalyticsQuery) {
  const d = schema.splitDistribution;
  const rs = schema.splitRuleSet;
  const merchantArray = sql`array[${sql.join(q.merchants.map((m) => sql`${m}`), sql`, `)}]::text[]`;
  const rows = await db
    .select({
      split: d.split,
      chainId: d.chainId,
      token: d.token,
      ruleSetId: d.ruleSetId,
      version: rs.version,
      distributor: d.distributor,
      amount: d.amount,
      distributorFee: d.distributorFee,
      credited: d.credited,
      recipients: rs.recipients,
      allocations: rs.allocations,
      timestamp: d.timestamp,
      transactionHash: d.transactionHash,
    })
    .from(d)
    .innerJoin(rs, and(eq(rs.split, d.split), eq(rs.ruleSetId, d.ruleSetId), eq(rs.chainId, d.chainId)))
    .where(
      and(
        sql`${rs.recipients} && ${merchantArray}`,
        gte(d.timestamp, q.from),
        lt(d.timestamp, q.to),
        q.chainId === undefined ? undefined : eq(d.chainId, q.chainId),
        q.token === undefined ? undefined : eq(d.token, q.token),
      ),
    )
    .orderBy(desc(d.timestamp), desc(d.id))
    .limit(q.limit);
  const mine = new Set<string>(q.merchants);
  const data = rows.map((row): RowOf<typeof SPLIT_PAYOUT_COLUMNS> => {
    const net = row.amount - row.distributorFee;
    let allocationPpm = 0;
    let share = 0n;
    row.recipients.forEach((recipient, i) => {
      if (!mine.has(recipient.toLowerCase())) return;
      allocationPpm += row.allocations[i]!;
      share += (net * BigInt(row.allocations[i]!)) / 1_000_000n;
    });
    return {
      split: row.split,
      chainId: row.chainId,
      token: row.token,
      ruleSetVersion: row.version,
      distributor: row.distributor,
      amount: row.amount.toString(),
      distributorFee: row.distributorFee.toString(),
      credited: row.credited.toString(),
      merchantAllocationPpm: allocationPpm,
      merchantShare: share.toString(),
      timestamp: Number(row.timestamp),
      transactionHash: row.transactionHash,
    };
  });
  const w = schema.splitWithdrawal;
  const withdrawals = await db
    .select({ chainId: w.chainId, account: w.account, token: w.token, amount: w.amount, timestamp: w.timestamp, transactionHash: w.transactionHash })
    .from(w)
    .where(and(inArray(w.account, q.merchants), gte(w.timestamp, q.from), lt(w.timestamp, q.to), q.chainId === undefined ? undefined : eq(w.chainId, q.chainId)))
    .orderBy(desc(w.timestamp))
    .limit(q.limit);
  return { data, withdrawals: withdrawals.map((x) => ({ ...x, amount: x.amount.toString(), timestamp: Number(x.timestamp) })) };
}

// ------------------------------------------------------------------------------------------------ loyalty

/** Points issued, redeemed and clawed back per bucket and program, and each program's totals now. */
export async function loyaltyIssuedVsRedeemed(db: Db, q: AnalyticsQuery) {
  const lp = schema.loyaltyPoints;
  const seconds = INTERVAL_SECONDS[q.interval];
  // Timestamps are numeric: div() is the integer division. The interval is one of two constants, inlined
  // so that the grouped expression is textually the selected one.
  const bucket = sql<string>`(div(${lp.timestamp}, ${sql.raw(String(seconds))}) * ${sql.raw(String(seconds))})::text`;
  const rows = await db
    .select({ bucketStart: bucket, program: lp.program, kind: lp.kind, amount: sumText(lp.amount) })
    .from(lp)
    .where(and(inArray(lp.merchant, q.merchants), gte(lp.timestamp, q.from), lt(lp.timestamp, q.to), q.chainId === undefined ? undefined : eq(lp.chainId, q.chainId)))
    .groupBy(bucket, lp.program, lp.kind)
    .orderBy(bucket, lp.program);
  const buckets = new Map<string, { bucketStart: number; program: string; issued: bigint; redeemed: bigint; clawedBack: bigint }>();
  for (const row of rows) {
    const key = `${row.bucketStart}:${row.program}`;
    const entry = buckets.get(key) ?? { bucketStart: Number(row.bucketStart), program: row.program, issued: 0n, redeemed: 0n, clawedBack: 0n };
    if (row.kind === "minted") entry.issued += big(row.amount);
    else if (row.kind === "redeemed") entry.redeemed += big(row.amount);
    else entry.clawedBack += big(row.amount);
    buckets.set(key, entry);
  }
  const programs = await db
    .select()
    .from(schema.loyaltyProgram)
    .where(and(inArray(schema.loyaltyProgram.merchant, q.merchants), q.chainId === undefined ? undefined : eq(schema.loyaltyProgram.chainId, q.chainId)));
  return {
    data: [...buckets.values()].map((b): RowOf<typeof LOYALTY_COLUMNS> => ({
      bucketStart: b.bucketStart,
      bucketStartIso: new Date(b.bucketStart * 1000).toISOString(),
      program: b.program,
      issued: b.issued.toString(),
      redeemed: b.redeemed.toString(),
      clawedBack: b.clawedBack.toString(),
    })),
    programs: programs.map((p) => ({
      program: p.address,
      chainId: p.chainId,
      name: p.name,
      symbol: p.symbol,
      asset: p.asset,
      rewardBps: p.rewardBps,
      totalSupply: p.totalSupply.toString(),
      totalMinted: p.totalMinted.toString(),
      totalRedeemed: p.totalRedeemed.toString(),
      totalClawedBack: p.totalClawedBack.toString(),
      holderCount: p.holderCount,
    })),
  };
}

// ------------------------------------------------------------------------------------------------ lending

/**
 * Utilisation of every lending market (public market totals, not any merchant's data), beside what this
 * merchant has to do with each: orders paid to it on credit from the market in the range, and its own
 * position in the market.
 */
export async function lendingUtilisation(db: Db, q: AnalyticsQuery) {
  const m = schema.lendingMarket;
  const markets = await db.select().from(m).where(q.chainId === undefined ? undefined : eq(m.chainId, q.chainId)).orderBy(m.chainId, m.marketId);
  const c = schema.creditPayment;
  const credit = await db
    .select({ chainId: c.chainId, marketId: c.marketId, paymentCount: sql<number>`count(*)::int`, volume: sumText(c.amount) })
    .from(c)
    .where(and(inArray(c.merchant, q.merchants), gte(c.timestamp, q.from), lt(c.timestamp, q.to), q.chainId === undefined ? undefined : eq(c.chainId, q.chainId)))
    .groupBy(c.chainId, c.marketId);
  const pos = schema.lendingPosition;
  const positions = await db.select().from(pos).where(inArray(pos.account, q.merchants));
  const data = markets.map((market): RowOf<typeof LENDING_COLUMNS> => {
    const received = credit.find((x) => x.chainId === market.chainId && x.marketId === market.marketId);
    const own = positions.filter((x) => x.chainId === market.chainId && x.marketId === market.marketId);
    const sum = (f: (x: (typeof own)[number]) => bigint) => own.reduce((s, x) => s + f(x), 0n).toString();
    return {
      chainId: market.chainId,
      marketId: market.marketId,
      loanToken: market.loanToken,
      collateralToken: market.collateralToken,
      lltv: market.lltv.toString(),
      totalSupplyAssets: market.totalSupplyAssets.toString(),
      totalBorrowAssets: market.totalBorrowAssets.toString(),
      totalCollateral: market.totalCollateral.toString(),
      utilisation: ratio(market.totalBorrowAssets, market.totalSupplyAssets),
      creditPaymentCount: received?.paymentCount ?? 0,
      creditVolume: received?.volume ?? "0",
      merchantSupplyShares: sum((x) => x.supplyShares),
      merchantBorrowShares: sum((x) => x.borrowShares),
      merchantCollateral: sum((x) => x.collateral),
    };
  });
  return { data };
}

/** Each endpoint: the function that answers it and the columns of its `data` rows, in CSV order. */
export const analytics = {
  revenue: { run: revenueOverTime, columns: REVENUE_COLUMNS },
  "top-payers": { run: topPayers, columns: TOP_PAYER_COLUMNS },
  "payment-methods": { run: paymentMethodMix, columns: METHOD_MIX_COLUMNS },
  refunds: { run: refunds, columns: REFUND_COLUMNS },
  "split-payouts": { run: splitPayouts, columns: SPLIT_PAYOUT_COLUMNS },
  loyalty: { run: loyaltyIssuedVsRedeemed, columns: LOYALTY_COLUMNS },
  lending: { run: lendingUtilisation, columns: LENDING_COLUMNS },
} as const;

export type { Address };
