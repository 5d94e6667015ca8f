/**
 * Keeps `revenue_rollup` and `rollup_payer` in step with the payment ledger. Every handler that settles
 * or refunds a payment calls these in the same indexing step, so Ponder's reorg and restart handling
 * (which works per indexed event) covers the rollups exactly as it covers the rows they summarise.
 */
import { payerBucket, payerOverlap, payment, revenueRollup, rollupPayer } from "ponder:schema";
import type { Address, Hex } from "viem";
import type { Db } from "./context.ts";
import { usdValueE8 } from "./prices.ts";

const PERIODS = [
  ["hour", 3_600n],
  ["day", 86_400n],
] as const;

function rollupKeys(chainId: number, merchant: Address, token: Address, timestamp: bigint) {
  return PERIODS.map(([period, seconds]) => {
    const bucketStart = (timestamp / seconds) * seconds;
    return { id: `${chainId}:${merchant.toLowerCase()}:${token.toLowerCase()}:${period}:${bucketStart}`, period, bucketStart };
  });
}

const empty = {
  paymentCount: 0,
  volume: 0n,
  merchantAmount: 0n,
  fees: 0n,
  volumeUsdE8: 0n,
  unpricedCount: 0,
  uniquePayers: 0,
  refundCount: 0,
  refundVolume: 0n,
  refundVolumeUsdE8: 0n,
};

export interface SettledPayment {
  chainId: number;
  merchant: Address;
  token: Address;
  amount: bigint;
  merchantAmount: bigint;
  fee: bigint;
  valueUsdE8: bigint | null;
  timestamp: bigint;
}

export async function rollUpPayment(db: Db, payment: SettledPayment): Promise<void> {
  for (const key of rollupKeys(payment.chainId, payment.merchant, payment.token, payment.timestamp)) {
    const add = {
      paymentCount: 1,
      volume: payment.amount,
      merchantAmount: payment.merchantAmount,
      fees: payment.fee,
      volumeUsdE8: payment.valueUsdE8 ?? 0n,
      unpricedCount: payment.valueUsdE8 === null ? 1 : 0,
    };
    await db
      .insert(revenueRollup)
      .values({ ...empty, ...add, id: key.id, chainId: payment.chainId, merchant: payment.merchant, token: payment.token, period: key.period, bucketStart: key.bucketStart })
      .onConflictDoUpdate((row: typeof empty) => ({
        paymentCount: row.paymentCount + add.paymentCount,
        volume: row.volume + add.volume,
        merchantAmount: row.merchantAmount + add.merchantAmount,
        fees: row.fees + add.fees,
        volumeUsdE8: row.volumeUsdE8 + add.volumeUsdE8,
        unpricedCount: row.unpricedCount + add.unpricedCount,
      }));
  }
}

/**
 * Adds a payer to the payment's buckets (called with the payment's own timestamp; for credit payments
 * only once `CreditPaid` has named the borrower). A payer new to a bucket raises its `uniquePayers`.
 */
export async function rollUpPayer(db: Db, payment: { chainId: number; merchant: Address; token: Address; timestamp: bigint; amount: bigint }, payer: Address): Promise<void> {
  for (const key of rollupKeys(payment.chainId, payment.merchant, payment.token, payment.timestamp)) {
    const id = `${key.id}:${payer.toLowerCase()}`;
    const seen = await db.find(rollupPayer, { id });
    if (seen) {
      await db.update(rollupPayer, { id }).set((row: { paymentCount: number; volume: bigint }) => ({ paymentCount: row.paymentCount + 1, volume: row.volume + payment.amount }));
    } else {
      await db.insert(rollupPayer).values({
        id,
        rollupId: key.id,
        chainId: payment.chainId,
        merchant: payment.merchant,
        token: payment.token,
        period: key.period,
        bucketStart: key.bucketStart,
        payer,
        paymentCount: 1,
        volume: payment.amount,
      });
      await db.update(revenueRollup, { id: key.id }).set((row: typeof empty) => ({ uniquePayers: row.uniquePayers + 1 }));
      await notePayerMerchant(db, { chainId: payment.chainId, merchant: payment.merchant, token: payment.token, period: key.period, bucketStart: key.bucketStart }, payer);
    }
  }
}

/**
 * Records that `payer` paid `bucket.merchant` in the bucket (called once per merchant, payer and bucket).
 * From the payer's second merchant in the bucket on, each of its merchants' payer rows is copied to
 * `payer_overlap`, the only rows a multi-address distinct count has to look at.
 */
async function notePayerMerchant(
  db: Db,
  bucket: { chainId: number; merchant: Address; token: Address; period: "hour" | "day"; bucketStart: bigint },
  payer: Address,
): Promise<void> {
  const token = bucket.token.toLowerCase() as Address;
  const id = `${bucket.chainId}:${token}:${bucket.period}:${bucket.bucketStart}:${payer.toLowerCase()}`;
  const seen: { merchantCount: number; firstMerchant: Address } | null = await db.find(payerBucket, { id });
  if (!seen) {
    await db.insert(payerBucket).values({ id, chainId: bucket.chainId, token: bucket.token, period: bucket.period, bucketStart: bucket.bucketStart, payer, merchantCount: 1, firstMerchant: bucket.merchant });
    return;
  }
  // Read before the update: Ponder's find can hand back its cached row, which the update then changes.
  const overlapping = seen.merchantCount === 1 ? [seen.firstMerchant, bucket.merchant] : [bucket.merchant];
  await db.update(payerBucket, { id }).set({ merchantCount: seen.merchantCount + 1 });
  for (const merchant of overlapping) {
    await db.insert(payerOverlap).values({
      id: `${bucket.chainId}:${merchant.toLowerCase()}:${token}:${bucket.period}:${bucket.bucketStart}:${payer.toLowerCase()}`,
      chainId: bucket.chainId,
      merchant,
      token: bucket.token,
      period: bucket.period,
      bucketStart: bucket.bucketStart,
      payer,
    });
  }
}

export async function rollUpRefund(
  db: Db,
  refund: { chainId: number; merchant: Address; token: Address; amount: bigint; valueUsdE8: bigint | null; timestamp: bigint },
): Promise<void> {
  for (const key of rollupKeys(refund.chainId, refund.merchant, refund.token, refund.timestamp)) {
    const usd = refund.valueUsdE8 ?? 0n;
    await db
      .insert(revenueRollup)
      .values({ ...empty, id: key.id, chainId: refund.chainId, merchant: refund.merchant, token: refund.token, period: key.period, bucketStart: key.bucketStart, refundCount: 1, refundVolume: refund.amount, refundVolumeUsdE8: usd })
      .onConflictDoUpdate((row: typeof empty) => ({ refundCount: row.refundCount + 1, refundVolume: row.refundVolume + refund.amount, refundVolumeUsdE8: row.refundVolumeUsdE8 + usd }));
  }
}

/** The fields every payment path's ledger row takes from its settlement event alike. */
export function settlementFields(
  chainId: number,
  event: {
    args: { token: Address; amount: bigint; merchantAmount: bigint; fee: bigint };
    block: { number: bigint; timestamp: bigint };
    transaction: { hash: Hex };
    log: { logIndex: number };
  },
) {
  return {
    token: event.args.token,
    amount: event.args.amount,
    merchantAmount: event.args.merchantAmount,
    fee: event.args.fee,
    refundedAmount: 0n,
    valueUsdE8: usdValueE8(chainId, event.args.token, event.args.amount, event.block.timestamp),
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  };
}

/** Inserts a settled payment into the ledger and its rollups (and its payer, when known). */
export async function recordPayment(db: Db, row: typeof payment.$inferInsert & { valueUsdE8: bigint | null }): Promise<void> {
  await db.insert(payment).values(row);
  const settled = { chainId: row.chainId, merchant: row.merchant, token: row.token, amount: row.amount, merchantAmount: row.merchantAmount, fee: row.fee, valueUsdE8: row.valueUsdE8, timestamp: row.timestamp };
  await rollUpPayment(db, settled);
  if (row.payer) await rollUpPayer(db, settled, row.payer);
}
