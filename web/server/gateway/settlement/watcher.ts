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
//
// A failed RPC call is not a reorg. Only a block in hand, fetched at that height, whose hash differs
// from the recorded one makes a payment `reorged`; a call that fails (5xx, timeout, a node that claims
// a head but has no block at a lower height) throws, the tick's transaction rolls back with nothing
// written, and the watcher backs off and tries again. A head below the cursor is most often a lagging
// node (behind a load balancer, or the next fallback URL): the watcher waits, writing nothing, until the
// head reaches the cursor again and the block at that height can be compared, unless the chain is
// proven to be another one (chainReplaced). Within a tick, a payment's log must agree with the block
// fetched at its height, so logs from one node and blocks from another are never mixed into one record;
// and a payment is confirmed only while the block at its height is still its own (movedDuePayment):
// one that falls due in a block the chain no longer has is reorged and its range scanned again.
import { and, eq, gt, gte, inArray, lte, ne, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { BaseError, createPublicClient, getAddress, parseAbiItem, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { creditPaymentAbi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { rpcTransport, type RpcUrls } from "../../chain.ts";
import type { AppDatabase } from "../../db/index.ts";
import { chainCursors, merchants, orders, payments } from "../../db/schema.ts";
import { appendOrderEvent, type Executor } from "../events.ts";
import { paymentSnapshot, sameAddress, syncOrder, type OrderRow } from "./order-sync.ts";
import { recordRouterRefund } from "./refunds.ts";

export type WatchedChain = {
  chainId: number;
  /** RPC URL(s) of this chain, in fail-over order (server/chain.ts). */
  rpcUrl: RpcUrls;
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
/**
 * How much younger than the cursor's sighting a head block below the cursor must be to prove the chain
 * was replaced (chainReplaced): room for block producers' clocks and this server's clock to disagree.
 */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The node's answers contradict each other within one tick (two nodes, or a reorg between calls). */
export class ChainViewError extends BaseError {
  constructor(message: string) {
    super(message, { name: "ChainViewError" });
  }
}

type BlockSummary = { hash: Hex; timestamp: bigint };
/** The block at a height, fetched once per tick; rejects when the call fails or the node has no such block. */
type BlockReader = (blockNumber: bigint) => Promise<BlockSummary>;

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

export type TickResult = {
  skipped: boolean;
  fromBlock?: bigint;
  toBlock?: bigint;
  head?: bigint;
  reorg: boolean;
  /** The head is below what was scanned (or a payment) and nothing proves a reorg: nothing was written. */
  waiting?: boolean;
};

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
  const client = options.client ?? createPublicClient({ transport: rpcTransport(chain.rpcUrl, { chainId: chain.chainId, timeout: 10_000, retryCount: 1, logger }) });
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
  /** Set while the head is below the cursor, so the wait is logged once, not every poll. */
  let waitingSince: bigint | undefined;

  function blockReader(): BlockReader {
    const blocks = new Map<bigint, Promise<BlockSummary>>();
    return (blockNumber) => {
      let block = blocks.get(blockNumber);
      if (!block) {
        // getBlock throws BlockNotFoundError on a null answer: no block is a failure, never a different hash.
        block = client.getBlock({ blockNumber }).then(({ hash, timestamp }) => ({ hash, timestamp }));
        blocks.set(blockNumber, block);
      }
      return block;
    };
  }

  function waiting(head: bigint, cursorBlock: bigint, reason: string): TickResult {
    if (waitingSince === undefined) logger.warn({ head: head.toString(), cursor: cursorBlock.toString() }, reason);
    waitingSince ??= head;
    return { skipped: false, head, reorg: false, waiting: true };
  }

  async function tick(): Promise<TickResult> {
    return db.transaction(async (tx) => {
      const [lock] = ((await tx.execute(sql`select pg_try_advisory_xact_lock(${WATCHER_LOCK_CLASS}, ${chain.chainId}) as locked`)) as unknown as { rows: { locked: boolean }[] }).rows;
      if (!lock?.locked) return { skipped: true, reorg: false };

      const head = await client.getBlockNumber({ cacheTime: 0 });
      const blockAt = blockReader();
      const [cursor] = await tx.select().from(chainCursors).where(eq(chainCursors.chainId, chain.chainId));
      let fromBlock: bigint;
      let reorg = false;
      if (!cursor) {
        fromBlock = head > initialLookback ? head - initialLookback : 0n;
      } else {
        // Throws when the RPC fails: the tick is retried, nothing is decided on a missing answer.
        const moved = cursor.blockNumber <= head ? (await blockAt(cursor.blockNumber)).hash !== cursor.blockHash : await chainReplaced(tx, head, cursor.updatedAt, blockAt);
        if (!moved && cursor.blockNumber > head) return waiting(head, cursor.blockNumber, "RPC head is below the last scanned block: waiting for it to catch up (a lagging node?)");
        // The cursor's block still stands, but a payment recorded from another node's view (or before a
        // reorg that left the cursor's height alone) must not be confirmed: checked when it falls due.
        const strayPayment = moved ? undefined : await movedDuePayment(tx, head, blockAt);
        if (!moved && strayPayment === undefined) {
          fromBlock = cursor.blockNumber + 1n;
        } else {
          const anchor = cursor.blockNumber < head ? cursor.blockNumber : head;
          fromBlock = anchor > reorgWindow ? anchor - reorgWindow : 0n;
          if (strayPayment !== undefined && strayPayment < fromBlock) fromBlock = strayPayment;
          if (!(await handleReorg(tx, head, fromBlock, blockAt, cursor.blockNumber > head))) {
            return waiting(head, cursor.blockNumber, "reorganisation: a payment sits above the RPC head, waiting for a block at its height");
          }
          reorg = true;
          logger.warn({ cursor: cursor.blockNumber.toString(), head: head.toString(), rescanFrom: fromBlock.toString() }, "chain reorganisation detected");
        }
      }
      if (waitingSince !== undefined) {
        logger.info({ head: head.toString() }, "RPC head caught up: scanning again");
        waitingSince = undefined;
      }

      if (fromBlock > head) return { skipped: false, head, reorg };
      const toBlock = fromBlock + maxRange - 1n < head ? fromBlock + maxRange - 1n : head;
      const watched = await loadWatchedOrders(tx);
      const observations = watched.length > 0 ? await scan(watched, fromBlock, toBlock) : [];
      const touched = new Set<string>();
      for (const observation of observations) {
        if (await recordObservation(tx, observation, blockAt)) touched.add(observation.order.id);
      }
      const refundLogs = await client.getLogs({ address: router, event: PAYMENT_REFUNDED_EVENT, fromBlock, toBlock });
      for (const log of refundLogs) {
        if (log.removed) continue;
        await sameBlock(blockAt, log.blockNumber, log.blockHash);
        const { orderRef, merchant, to, amount } = log.args as { orderRef: Hex; merchant: Address; to: Address; amount: bigint };
        await recordRouterRefund(tx, { orderRef, merchant, to, amount, transactionHash: log.transactionHash, blockNumber: log.blockNumber }, now());
      }
      // Confirmations move with every new head, including for payments recorded in earlier ticks.
      await confirmPayments(tx, toBlock, touched);
      for (const orderId of touched) await syncOrder(tx, orderId, now());

      const last = await blockAt(toBlock);
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

  /** Inserts the payment (or revives a reorged one re-included elsewhere); true when it is new. */
  async function recordObservation(tx: Executor, observation: Observation, blockAt: BlockReader): Promise<boolean> {
    const { order } = observation;
    const block = await sameBlock(blockAt, observation.blockNumber, observation.blockHash);
    const minedAt = new Date(Number(block.timestamp) * 1000);
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

  /**
   * The lowest height of a pending payment that falls due for confirmation at `head` although the
   * block now at its height is another one; undefined when every due payment's block still stands.
   */
  async function movedDuePayment(tx: Executor, head: bigint, blockAt: BlockReader): Promise<bigint | undefined> {
    const pending = await tx
      .select({ blockNumber: payments.blockNumber, blockHash: payments.blockHash, confirmations: merchants.confirmations })
      .from(payments)
      .innerJoin(orders, eq(orders.id, payments.orderId))
      .innerJoin(merchants, eq(merchants.id, orders.merchantId))
      .where(and(eq(payments.chainId, chain.chainId), eq(payments.status, "pending"), lte(payments.blockNumber, head)));
    let lowest: bigint | undefined;
    for (const { blockNumber, blockHash, confirmations } of pending) {
      if (head - blockNumber + 1n < BigInt(confirmationsFor(confirmations))) continue;
      if ((await blockAt(blockNumber)).hash === blockHash) continue;
      if (lowest === undefined || blockNumber < lowest) lowest = blockNumber;
    }
    return lowest;
  }

  /**
   * The head is below the cursor. A lagging node reports a lower head of the same chain, so the head
   * alone proves nothing; the chain counts as replaced only when
   * - a payment recorded at or below the head is not in the block this node has at its height, or
   * - this node's head block was made after the cursor's block was last seen on chain: an ancestor of
   *   the cursor's block cannot be younger than it (CLOCK_SKEW_MS of room). A restarted dev chain, or a
   *   reorganisation onto a shorter chain, shows this; a node that is merely behind never does.
   */
  async function chainReplaced(tx: Executor, head: bigint, cursorSeenAt: Date, blockAt: BlockReader): Promise<boolean> {
    const headBlock = await blockAt(head);
    if (Number(headBlock.timestamp) * 1000 > cursorSeenAt.getTime() + CLOCK_SKEW_MS) return true;
    const recorded = await tx
      .selectDistinct({ blockNumber: payments.blockNumber, blockHash: payments.blockHash })
      .from(payments)
      .where(and(eq(payments.chainId, chain.chainId), ne(payments.status, "reorged"), gte(payments.blockNumber, head > reorgWindow ? head - reorgWindow : 0n), lte(payments.blockNumber, head)));
    for (const { blockNumber, blockHash } of recorded) {
      if ((await blockAt(blockNumber)).hash !== blockHash) return true;
    }
    return false;
  }

  /**
   * Marks payments whose block is no longer canonical as reorged and moves their orders back. Each
   * verdict needs the block now at the payment's height; a payment above the head is orphaned only when
   * the chain was proven replaced (`replacedAboveHead`). Otherwise nothing is written and false returned.
   */
  async function handleReorg(tx: Executor, head: bigint, from: bigint, blockAt: BlockReader, replacedAboveHead: boolean): Promise<boolean> {
    const recent = await tx
      .select({ payment: payments, merchantId: orders.merchantId, orderToken: orders.token })
      .from(payments)
      .innerJoin(orders, eq(orders.id, payments.orderId))
      .where(and(eq(payments.chainId, chain.chainId), ne(payments.status, "reorged"), gte(payments.blockNumber, from)));
    // Every verdict first (RPC reads only), then the writes: an undecided payment leaves everything as it was.
    const orphaned: typeof recent = [];
    for (const entry of recent) {
      const { payment } = entry;
      if (payment.blockNumber <= head) {
        if ((await blockAt(payment.blockNumber)).hash === payment.blockHash) continue;
      } else if (!replacedAboveHead) {
        return false;
      }
      orphaned.push(entry);
    }
    const affected = new Set<string>();
    for (const { payment, merchantId } of orphaned) {
      const [row] = await tx.update(payments).set({ status: "reorged", updatedAt: now() }).where(eq(payments.id, payment.id)).returning();
      await appendOrderEvent(tx, { orderId: payment.orderId, merchantId, type: "payment.reorged", data: { payment: paymentSnapshot(row!), previousStatus: payment.status } });
      affected.add(payment.orderId);
    }
    for (const orderId of affected) await syncOrder(tx, orderId, now());
    if (affected.size > 0) logger.warn({ orders: [...affected] }, "payments reorged out");
    return true;
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

/**
 * The block at a log's height, which must be the log's own block: a log from one node (or one fork) and
 * the block from another must not make one record. Throws ChainViewError otherwise (the tick is retried).
 */
async function sameBlock(blockAt: BlockReader, blockNumber: bigint, blockHash: Hex): Promise<BlockSummary> {
  const block = await blockAt(blockNumber);
  if (block.hash !== blockHash) throw new ChainViewError(`the RPC's log and block disagree at block ${blockNumber} (${blockHash} vs ${block.hash}): the tick is retried`);
  return block;
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
