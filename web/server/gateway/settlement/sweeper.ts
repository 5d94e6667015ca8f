// The sweeper: moves paid deposits from their per-order addresses to the merchant's destination in
// batches (DepositAddressFactory.sweepBatch), paying gas from the relayer key.
//
// What is swept: orders whose deposit-address payments are confirmed and whose outcome is final
// enough to pay out (settled, overpaid, paid_late, and underpaid once expired). The amount is always
// the address's live balance, read from the chain just before the batch, so a late top-up after a
// sweep is simply swept again and a sweep is never counted from the database's idea of the balance.
//
// Concurrency: one tick holds a per-chain advisory lock in a database transaction for its whole
// duration (read balances, send the batch, wait for the receipt, record rows), so two server
// processes never send the same batch. A crash after the transaction is sent loses at most the
// `sweeps` rows of that batch: the sweep itself is on-chain (and indexed), and the next tick sees
// zero balances and does nothing — money can be moved twice by no path, because only the deposit
// address's balance is ever moved.
//
// An RPC failure is not a failed sweep: once the batch was sent (a transaction hash is known), a
// receipt that cannot be read leaves its rows `submitted` (the next tick reads live balances, so a
// sweep that did go through is never sent again); only a reverted batch, or one never sent, is `failed`.
import { and, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { createPublicClient, createWalletClient, erc20Abi, parseEventLogs, zeroAddress, type Account, type Address, type Hex } from "viem";
import { depositAddressFactoryAbi } from "@coinpays/sdk/contracts";
import { rpcTransport, rpcUrlList, type RpcUrls } from "../../chain.ts";
import type { AppDatabase } from "../../db/index.ts";
import { orders, payments, sweeps } from "../../db/schema.ts";

export type SweeperOptions = {
  db: AppDatabase;
  logger: Logger;
  chainId: number;
  /** RPC URL(s), in fail-over order (server/chain.ts). */
  rpcUrl: RpcUrls;
  factory: Address;
  relayer: Account;
  /** Orders per sweepBatch transaction. */
  batchSize?: number;
  pollIntervalMs?: number;
};

export type SweepTickResult = { skipped: boolean; swept: number; transactionHash?: Hex };

export type Sweeper = { tick(): Promise<SweepTickResult>; start(): void; stop(): Promise<void> };

/** "Swep" in ASCII: the first key of the sweeper's advisory locks; the chain id is the second. */
const SWEEPER_LOCK_CLASS = 0x53776570;
const SWEEPABLE = ["settled", "overpaid", "paid_late"] as const;

export function createSweeper(options: SweeperOptions): Sweeper {
  const { db, logger, chainId, factory } = options;
  const transport = rpcTransport(options.rpcUrl, { chainId, timeout: 10_000, retryCount: 3, logger });
  const publicClient = createPublicClient({ transport });
  const chain = { id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: rpcUrlList(options.rpcUrl) } } };
  const wallet = createWalletClient({ account: options.relayer, chain, transport });
  const batchSize = options.batchSize ?? 50;

  async function balanceOf(token: Address, holder: Address): Promise<bigint> {
    if (token === zeroAddress) return publicClient.getBalance({ address: holder });
    return publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [holder] });
  }

  async function tick(): Promise<SweepTickResult> {
    return db.transaction(async (tx) => {
      const [lock] = ((await tx.execute(sql`select pg_try_advisory_xact_lock(${SWEEPER_LOCK_CLASS}, ${chainId}) as locked`)) as unknown as { rows: { locked: boolean }[] }).rows;
      if (!lock?.locked) return { skipped: true, swept: 0 };

      const candidates = await tx
        .selectDistinct({ id: orders.id, orderRef: orders.orderRef, destination: orders.destination, depositAddress: orders.depositAddress, token: orders.token })
        .from(orders)
        .innerJoin(payments, and(eq(payments.orderId, orders.id), eq(payments.method, "deposit_address"), eq(payments.status, "confirmed")))
        .where(
          and(
            eq(orders.chainId, chainId),
            or(inArray(orders.status, [...SWEEPABLE]), and(eq(orders.status, "underpaid"), lt(orders.expiresAt, new Date()))),
          ),
        )
        .limit(batchSize * 4);

      const due: Array<(typeof candidates)[number] & { balance: bigint }> = [];
      for (const candidate of candidates) {
        const balance = await balanceOf(candidate.token as Address, candidate.depositAddress as Address);
        if (balance > 0n) due.push({ ...candidate, balance });
        if (due.length === batchSize) break;
      }
      if (due.length === 0) return { skipped: false, swept: 0 };

      const requests = due.map((order) => ({ destination: order.destination as Address, orderRef: order.orderRef as Hex, token: order.token as Address }));
      let transactionHash: Hex | undefined;
      let reverted = false;
      try {
        transactionHash = await wallet.writeContract({ address: factory, abi: depositAddressFactoryAbi, functionName: "sweepBatch", args: [requests], account: options.relayer, chain });
        const receipt = await publicClient.waitForTransactionReceipt({ hash: transactionHash });
        if (receipt.status !== "success") {
          reverted = true;
          throw new Error(`sweepBatch reverted in ${transactionHash}`);
        }
        const swept = new Map(
          parseEventLogs({ abi: depositAddressFactoryAbi, eventName: "DepositSwept", logs: receipt.logs }).map((log) => [log.args.orderRef.toLowerCase(), log.args.amount]),
        );
        await tx.insert(sweeps).values(
          due.map((order) => ({
            orderId: order.id,
            chainId,
            token: order.token,
            status: "confirmed" as const,
            transactionHash,
            amount: swept.get(order.orderRef.toLowerCase()) ?? 0n,
          })),
        );
        logger.info({ chainId, orders: due.length, transactionHash, gasUsed: receipt.gasUsed.toString() }, "deposits swept");
        return { skipped: false, swept: due.length, transactionHash };
      } catch (error) {
        // Recorded so the dashboard shows it; the next tick retries from live balances. Sent but not
        // known to be mined (the receipt could not be read): submitted, not failed.
        const status = transactionHash && !reverted ? ("submitted" as const) : ("failed" as const);
        await tx.insert(sweeps).values(due.map((order) => ({ orderId: order.id, chainId, token: order.token, status, transactionHash, error: String((error as { shortMessage?: string }).shortMessage ?? error) })));
        logger.error({ err: error, chainId, orders: due.length, status }, status === "submitted" ? "sweep batch sent, receipt not read" : "sweep batch failed");
        return { skipped: false, swept: 0, transactionHash };
      }
    });
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  return {
    tick,
    start() {
      timer = setInterval(() => {
        if (running) return;
        running = tick()
          .catch((error: unknown) => logger.warn({ err: error, chainId }, "sweeper tick failed"))
          .finally(() => (running = undefined));
      }, options.pollIntervalMs ?? 5_000);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
