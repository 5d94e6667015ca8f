// The chain watcher: follows one chain's new heads by polling, reads the payments made towards open
// orders, and settles them through syncOrder.
//
// What counts as a payment:
// - an ERC-20 `Transfer` log whose `to` is an open order's deposit address (never the tx's `to`);
// - a native transfer to a deposit address (top-level transactions of each scanned block);
// - a PaymentRouter `PaymentSettled` event whose orderRef and merchant match an order. When the router's
//   payer is the CreditPayment contract (pay with credit), the payer recorded is the borrower named in the
//   same transaction's `CreditPaid`: on-chain refunds default to the payer, and the contract could not
//   return what it received.
// PaymentRouter `PaymentRefunded` events complete the order's refunds (settlement/refunds.ts), for any
// order however old, so a refund is recorded even when nobody reported its transaction.
// Each is one row in `payments`, unique per (chain, tx, logIndex): a re-scan never counts twice.
// Transfers of another token are recorded but never counted (a `payment.wrong_token` event).
//
// Concurrency: one tick is one database transaction that first takes a per-chain advisory lock
// (pg_try_advisory_xact_lock); a second process running the same watcher skips the tick. The
// unique payment key and the row lock in syncOrder make a double-processed range harmless anyway.
//
// Reorgs: the cursor stores the hash of the last scanned block. When the chain no longer has that
// block, every payment in the last `reorgWindow` blocks is re-checked against the canonical hash;
// orphaned ones become `reorged` (a `payment.reorged` event, the order moves back), and the range is
// scanned again, so a transaction re-included in another block is revived with its new block.
import { and, eq, gt, gte, inArray, ne, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { createPublicClient, getAddress, http, parseAbiItem, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { creditPaymentAbi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import type { AppDatabase } from "../../db/index.ts";
import { chainCursors, merchants, orders, payments } from "../../db/schema.ts";
import { appendOrderEvent, type Executor } from "../events.ts";
import { paymentSnapshot, sameAddress, syncOrder, type OrderRow } from "./order-sync.ts";
import { recordRouterRefund } from "./refunds.ts";

export type WatchedChain = {
  chainId: number;
  rpcUrl: string;
  /** Default confirmations on this chain (a merchant's own setting wins). */
  confirmations: number;
  paymentRouter: Address;
  /** CreditPayment on this chain, if deployed: its router payments are attributed to the borrower. */
  creditPayment?: Address;
  pollIntervalMs: number;
  /** Blocks scanned per tick at most (getLogs range). */
  maxBlockRange?: number;
  /** How deep a reorg may reach: payments this close to the head are re-checked on a reorg. */
  reorgWindow?: number;
  /** First start without a cursor: scan this many blocks back from the head. */
  initialLookback?: number;
};

const TRANSFER_EVENT = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");
const PAYMENT_SETTLED_EVENT = paymentRouterAbi.find((item) => item.type === "event" && item.name === "PaymentSettled")!;
const CREDIT_PAID_EVENT = creditPaymentAbi.find((item) => item.type === "event" && item.name === "CreditPaid")!;
const PAYMENT_REFUNDED_EVENT = paymentRouterAbi.find((item) => item.type === "event" && item.name === "PaymentRefunded")!;
/** "Coin" in ASCII: the first key of the watcher's advisory locks; the chain id is the second. */
const WATCHER_LOCK_CLASS = 0x436f696e;
/** Orders stay watched this long past monitorUntil, so a watcher catching up still sees late blocks. */
const CATCH_UP_GRACE_MS = 60 * 60 * 1000;
const ADDRESSES_PER_LOG_QUERY = 500;

type Observation = {
  order: OrderRow;
  method: "router" | "deposit_address";
  token: Address;
  amount: bigint;
  payer: Address | null;
  transactionHash: Hex;
  logIndex: number;
  blockNumber: bigint;
  blockHash: Hex;
};

type WatchedOrder = OrderRow & { confirmations: number };

export type TickResult = { skipped: boolean; fromBlock?: bigint; toBlock?: bigint; head?: bigint; reorg: boolean };

export type ChainWatcher = {
  chainId: number;
  /** One pass: reorg check, scan of new blocks, confirmations. Exposed for tests. */
  tick(): Promise<TickResult>;
  start(): void;
  stop(): Promise<void>;
};

export function createChainWatcher(options: {
  db: AppDatabase;
  chain: WatchedChain;
  logger: Logger;
  client?: PublicClient;
  now?: () => Date;
}): ChainWatcher {
  const { db, chain } = options;
  const logger = options.logger.child({ component: "chain-watcher", chainId: chain.chainId });
  const client = options.client ?? createPublicClient({ transport: http(chain.rpcUrl, { timeout: 10_000, retryCount: 1 }) });
  const now = options.now ?? (() => new Date());
  const maxRange = BigInt(chain.maxBlockRange ?? 500);
  const reorgWindow = BigInt(chain.reorgWindow ?? 64);
  const initialLookback = BigInt(chain.initialLookback ?? 1000);
  const router = getAddress(chain.paymentRouter);
  const creditPayment = chain.creditPayment ? getAddress(chain.creditPayment) : undefined;

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let failures = 0;

  async function tick(): Promise<TickResult> {
    return db.transaction(async (tx) => {
      const [lock] = ((await tx.execute(sql`select pg_try_advisory_xact_lock(${WATCHER_LOCK_CLASS}, ${chain.chainId}) as locked`)) as unknown as { rows: { locked: boolean }[] }).rows;
      if (!lock?.locked) return { skipped: true, reorg: false };

      const head = await client.getBlockNumber({ cacheTime: 0 });
      const [cursor] = await tx.select().from(chainCursors).where(eq(chainCursors.chainId, chain.chainId));
      let fromBlock: bigint;
      let reorg = false;
      if (!cursor) {
        fromBlock = head > initialLookback ? head - initialLookback : 0n;
      } else {
        const cursorBlock = cursor.blockNumber <= head ? await client.getBlock({ blockNumber: cursor.blockNumber }).catch(() => undefined) : undefined;
        if (cursorBlock?.hash === cursor.blockHash) {
          fromBlock = cursor.blockNumber + 1n;
        } else {
          reorg = true;
          const anchor = cursor.blockNumber < head ? cursor.blockNumber : head;
          fromBlock = anchor > reorgWindow ? anchor - reorgWindow : 0n;
          logger.warn({ cursor: cursor.blockNumber.toString(), head: head.toString(), rescanFrom: fromBlock.toString() }, "chain reorganisation detected");
          await handleReorg(tx, head, fromBlock);
        }
      }

      if (fromBlock > head) return { skipped: false, head, reorg };
      const toBlock = fromBlock + maxRange - 1n < head ? fromBlock + maxRange - 1n : head;
      const watched = await loadWatchedOrders(tx);
      const observations = watched.length > 0 ? await scan(watched, fromBlock, toBlock) : [];
      const blockTimes = new Map<bigint, Date>();
      const touched = new Set<string>();
      for (const observation of observations) {
        if (await recordObservation(tx, observation, blockTimes)) touched.add(observation.order.id);
      }
      const refundLogs = await client.getLogs({ address: router, event: PAYMENT_REFUNDED_EVENT, fromBlock, toBlock });
      for (const log of refundLogs) {
        if (log.removed) continue;
        const { orderRef, merchant, to, amount } = log.args as { orderRef: Hex; merchant: Address; to: Address; amount: bigint };
        await recordRouterRefund(tx, { orderRef, merchant, to, amount, transactionHash: log.transactionHash, blockNumber: log.blockNumber }, now());
      }
      // Confirmations move with every new head, including for payments recorded in earlier ticks.
      await confirmPayments(tx, toBlock, touched);
      for (const orderId of touched) await syncOrder(tx, orderId, now());

      const last = await client.getBlock({ blockNumber: toBlock });
      await tx
        .insert(chainCursors)
        .values({ chainId: chain.chainId, blockNumber: toBlock, blockHash: last.hash, updatedAt: now() })
        .onConflictDoUpdate({ target: chainCursors.chainId, set: { blockNumber: toBlock, blockHash: last.hash, updatedAt: now() } });
      if (observations.length > 0) {
        logger.info({ fromBlock: fromBlock.toString(), toBlock: toBlock.toString(), payments: observations.length }, "payments observed");
      }
      return { skipped: false, fromBlock, toBlock, head, reorg };
    });
  }

  /** Orders that may still receive payments on this chain, with their merchant's confirmations. */
  async function loadWatchedOrders(tx: Executor): Promise<WatchedOrder[]> {
    const grace = new Date(now().getTime() - CATCH_UP_GRACE_MS);
    const rows = await tx
      .select({ order: orders, confirmations: merchants.confirmations })
      .from(orders)
      .innerJoin(merchants, eq(merchants.id, orders.merchantId))
      .where(and(eq(orders.chainId, chain.chainId), gt(orders.monitorUntil, grace)));
    return rows.map(({ order, confirmations }) => ({ ...order, confirmations: confirmationsFor(confirmations) }));
  }

  function confirmationsFor(setting: Record<string, number> | null | undefined): number {
    const own = setting?.[String(chain.chainId)];
    return typeof own === "number" && own >= 1 ? own : chain.confirmations;
  }

  async function scan(watched: WatchedOrder[], fromBlock: bigint, toBlock: bigint): Promise<Observation[]> {
    const byDeposit = new Map(watched.map((order) => [order.depositAddress.toLowerCase(), order]));
    const byRef = new Map<string, WatchedOrder[]>();
    for (const order of watched) byRef.set(order.orderRef.toLowerCase(), [...(byRef.get(order.orderRef.toLowerCase()) ?? []), order]);
    const observations: Observation[] = [];

    const deposits = [...byDeposit.keys()].map((address) => getAddress(address));
    for (let index = 0; index < deposits.length; index += ADDRESSES_PER_LOG_QUERY) {
      const logs = await client.getLogs({ event: TRANSFER_EVENT, args: { to: deposits.slice(index, index + ADDRESSES_PER_LOG_QUERY) }, fromBlock, toBlock });
      for (const log of logs) {
        const order = byDeposit.get(log.args.to!.toLowerCase());
        if (!order || log.removed) continue;
        observations.push({
          order,
          method: "deposit_address",
          token: getAddress(log.address),
          amount: log.args.value!,
          payer: log.args.from ?? null,
          transactionHash: log.transactionHash,
          logIndex: log.logIndex,
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
        });
      }
    }

    const routerLogs = await client.getLogs({ address: router, event: PAYMENT_SETTLED_EVENT, fromBlock, toBlock });
    const borrowers = await creditPayers(routerLogs.map((log) => log.args.payer as Address), fromBlock, toBlock);
    for (const log of routerLogs) {
      const { orderRef, merchant, payer, token, amount } = log.args as { orderRef: Hex; merchant: Address; payer: Address; token: Address; amount: bigint };
      // The router keys orders by (merchant, orderRef): a payment to somebody else's destination is not ours.
      const order = byRef.get(orderRef.toLowerCase())?.find((candidate) => sameAddress(candidate.destination, merchant));
      if (!order || log.removed) continue;
      // Never the CreditPayment contract itself: without its CreditPaid, no payer is known (a refund then needs an address).
      const realPayer = creditPayment && sameAddress(payer, creditPayment) ? (borrowers.get(creditKey(log.transactionHash, orderRef, merchant)) ?? null) : payer;
      observations.push({ order, method: "router", token: getAddress(token), amount, payer: realPayer, transactionHash: log.transactionHash, logIndex: log.logIndex, blockNumber: log.blockNumber, blockHash: log.blockHash });
    }

    // Native coin: top-level transfers to a deposit address whose order asks for native coin.
    if (watched.some((order) => sameAddress(order.token, zeroAddress))) {
      for (let number = fromBlock; number <= toBlock; number++) {
        const block = await client.getBlock({ blockNumber: number, includeTransactions: true });
        for (const transaction of block.transactions) {
          const order = transaction.to ? byDeposit.get(transaction.to.toLowerCase()) : undefined;
          if (!order || transaction.value === 0n) continue;
          observations.push({ order, method: "deposit_address", token: zeroAddress, amount: transaction.value, payer: transaction.from, transactionHash: transaction.hash, logIndex: -1, blockNumber: number, blockHash: block.hash });
        }
      }
    }
    return observations;
  }

  /** Borrowers of the credit payments in the range, by transaction and order; read only when the router saw one. */
  async function creditPayers(routerPayers: Address[], fromBlock: bigint, toBlock: bigint): Promise<Map<string, Address>> {
    const borrowers = new Map<string, Address>();
    if (!creditPayment || !routerPayers.some((payer) => sameAddress(payer, creditPayment))) return borrowers;
    const logs = await client.getLogs({ address: creditPayment, event: CREDIT_PAID_EVENT, fromBlock, toBlock });
    for (const log of logs) {
      if (log.removed) continue;
      borrowers.set(creditKey(log.transactionHash, log.args.orderRef!, log.args.merchant!), getAddress(log.args.payer!));
    }
    return borrowers;
  }

  async function blockTime(blockNumber: bigint, cache: Map<bigint, Date>): Promise<Date> {
    let time = cache.get(blockNumber);
    if (!time) {
      const block = await client.getBlock({ blockNumber });
      time = new Date(Number(block.timestamp) * 1000);
      cache.set(blockNumber, time);
    }
    return time;
  }

  /** Inserts the payment (or revives a reorged one re-included elsewhere); true when it is new. */
  async function recordObservation(tx: Executor, observation: Observation, blockTimes: Map<bigint, Date>): Promise<boolean> {
    const { order } = observation;
    const minedAt = await blockTime(observation.blockNumber, blockTimes);
    if (minedAt.getTime() > order.monitorUntil.getTime()) return false; // past the late-payment window
    const late = minedAt.getTime() >= order.expiresAt.getTime();
    const [row] = await tx
      .insert(payments)
      .values({
        orderId: order.id,
        chainId: chain.chainId,
        method: observation.method,
        token: observation.token,
        amount: observation.amount,
        payer: observation.payer,
        transactionHash: observation.transactionHash,
        logIndex: observation.logIndex,
        blockNumber: observation.blockNumber,
        blockHash: observation.blockHash,
        status: "pending",
        late,
      })
      .onConflictDoUpdate({
        target: [payments.chainId, payments.transactionHash, payments.logIndex],
        set: { status: "pending", blockNumber: observation.blockNumber, blockHash: observation.blockHash, late, updatedAt: now() },
        setWhere: sql`${payments.status} = 'reorged'`,
      })
      .returning();
    if (!row) return false;
    const wrongToken = !sameAddress(observation.token, order.token);
    await appendOrderEvent(tx, {
      orderId: order.id,
      merchantId: order.merchantId,
      type: wrongToken ? "payment.wrong_token" : "payment.detected",
      data: { payment: paymentSnapshot(row), ...(wrongToken ? { expectedToken: order.token } : {}) },
    });
    return true;
  }

  async function confirmPayments(tx: Executor, head: bigint, touched: Set<string>): Promise<void> {
    const pending = await tx
      .select({ payment: payments, order: orders, confirmations: merchants.confirmations })
      .from(payments)
      .innerJoin(orders, eq(orders.id, payments.orderId))
      .innerJoin(merchants, eq(merchants.id, orders.merchantId))
      .where(and(eq(payments.chainId, chain.chainId), eq(payments.status, "pending")));
    for (const { payment, order, confirmations } of pending) {
      const depth = head - payment.blockNumber + 1n;
      if (depth < BigInt(confirmationsFor(confirmations))) continue;
      const [row] = await tx
        .update(payments)
        .set({ status: "confirmed", updatedAt: now() })
        .where(and(eq(payments.id, payment.id), eq(payments.status, "pending")))
        .returning();
      if (!row) continue;
      if (sameAddress(row.token, order.token)) {
        await appendOrderEvent(tx, { orderId: order.id, merchantId: order.merchantId, type: "payment.confirmed", data: { payment: paymentSnapshot(row), confirmations: Number(depth) } });
      }
      touched.add(order.id);
    }
  }

  /** Marks payments whose block is no longer canonical as reorged and moves their orders back. */
  async function handleReorg(tx: Executor, head: bigint, from: bigint): Promise<void> {
    const recent = await tx
      .select({ payment: payments, merchantId: orders.merchantId, orderToken: orders.token })
      .from(payments)
      .innerJoin(orders, eq(orders.id, payments.orderId))
      .where(and(eq(payments.chainId, chain.chainId), ne(payments.status, "reorged"), gte(payments.blockNumber, from)));
    const canonical = new Map<bigint, Hex | null>();
    const affected = new Set<string>();
    for (const { payment, merchantId } of recent) {
      if (!canonical.has(payment.blockNumber)) {
        const block = payment.blockNumber <= head ? await client.getBlock({ blockNumber: payment.blockNumber }).catch(() => undefined) : undefined;
        canonical.set(payment.blockNumber, block?.hash ?? null);
      }
      if (canonical.get(payment.blockNumber) === payment.blockHash) continue;
      const [row] = await tx.update(payments).set({ status: "reorged", updatedAt: now() }).where(eq(payments.id, payment.id)).returning();
      await appendOrderEvent(tx, { orderId: payment.orderId, merchantId, type: "payment.reorged", data: { payment: paymentSnapshot(row!), previousStatus: payment.status } });
      affected.add(payment.orderId);
    }
    for (const orderId of affected) await syncOrder(tx, orderId, now());
    if (affected.size > 0) logger.warn({ orders: [...affected] }, "payments reorged out");
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .then((result) => {
          failures = 0;
          // Behind the head: continue right away instead of waiting a poll interval.
          const behind = result.toBlock !== undefined && result.head !== undefined && result.toBlock < result.head;
          schedule(behind ? 0 : chain.pollIntervalMs);
        })
        .catch((error: unknown) => {
          failures++;
          const delay = Math.min(30_000, chain.pollIntervalMs * 2 ** Math.min(failures, 8));
          logger.warn({ err: error, failures, retryInMs: delay }, "chain watcher tick failed");
          schedule(delay);
        });
    }, delayMs);
  }

  return {
    chainId: chain.chainId,
    tick,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** Re-derives `new` orders past their expiry (→ expired) in batches; safe in several processes. */
export async function expireOrders(db: AppDatabase, now: Date = new Date(), batch = 200): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: orders.id })
      .from(orders)
      .where(and(inArray(orders.status, ["new"]), sql`${orders.expiresAt} <= ${now.toISOString()}`))
      .limit(batch)
      .for("update", { skipLocked: true });
    let expired = 0;
    for (const { id } of due) {
      const result = await syncOrder(tx, id, now);
      if (result.to !== result.from) expired++;
    }
    return expired;
  });
}

function creditKey(transactionHash: Hex, orderRef: Hex, merchant: Address): string {
  return `${transactionHash}:${orderRef}:${merchant}`.toLowerCase();
}
