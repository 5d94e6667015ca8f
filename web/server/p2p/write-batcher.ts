// Group commit for the desk's hot writes. Every durable commit waits for a WAL flush, and with one
// transaction per match and per post the desk spent its time waiting for flushes (docs/benchmarks.md,
// "P2P desk"). Operations submitted while a batch is in flight wait and go together in the next one:
// one `select * from p2p_batch(…)` call, one transaction, one flush for all of them. Under no load a
// batch holds one operation, so nothing waits for a timer.
//
// One batch in flight per process: a single writer cannot deadlock with itself (three writers were
// measured: their batches lock rows in arbitrary order, wait on each other through deadlock_timeout
// and throughput collapsed), and a refused operation is answered with its error without rolling
// back the others (p2p_batch: one subtransaction per batch, retried without the refused operation,
// migration 0004; the hot rows it holds are written once per batch, migration 0005). A deadlock
// with another transaction (a sweeper) fails only that operation, which is queued again.
import { sql } from "drizzle-orm";
import { ledgerError } from "./ledger/index.ts";
import { RETRYABLE_SQLSTATES, rows, type Executor } from "./sql.ts";

export type BatchOp =
  | {
      op: "match";
      orderId: string;
      buyerId: string;
      currency: string;
      fiatCurrency: string;
      amount: string;
      method: string;
      idempotencyKey: string;
      requestHash: string;
      createOrder: boolean;
      excludedForms: string[];
      fee: string;
      commissionAccount: string;
      reservationId: string;
      expiresAt: string;
    }
  | { op: "invoice"; id: string; invoiceId: string; paymentUrl: string }
  | { op: "post"; id: string; at: string };

type Outcome = { o_result: unknown; o_code: string | null; o_message: string | null; o_constraint: string | null };

export type WriteBatcher = (op: BatchOp) => Promise<unknown>;

export function createWriteBatcher(db: Executor, options: { maxBatch?: number } = {}): WriteBatcher {
  const maxBatch = options.maxBatch ?? 100;
  type Waiting = { op: BatchOp; attempts: number; resolve(value: unknown): void; reject(error: unknown): void };
  const queue: Waiting[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        let outcomes: Outcome[];
        try {
          outcomes = await rows<Outcome>(db, sql`select * from p2p_batch(${JSON.stringify(batch.map((w) => w.op))}::jsonb)`);
        } catch (error) {
          for (const waiting of batch) waiting.reject(ledgerError(error));
          continue;
        }
        batch.forEach((waiting, i) => {
          const outcome = outcomes[i];
          if (!outcome) return waiting.reject(new Error("p2p_batch returned fewer rows than operations"));
          if (!outcome.o_code) return waiting.resolve(outcome.o_result);
          if (RETRYABLE_SQLSTATES.has(outcome.o_code) && waiting.attempts < 3) {
            waiting.attempts += 1;
            queue.push(waiting);
            return;
          }
          const error = Object.assign(new Error(outcome.o_message ?? outcome.o_code), {
            code: outcome.o_code,
            ...(outcome.o_constraint ? { constraint: outcome.o_constraint } : {}),
          });
          waiting.reject(ledgerError(error));
        });
      }
    } finally {
      flushing = false;
    }
  }

  return (op) =>
    new Promise((resolve, reject) => {
      queue.push({ op, attempts: 0, resolve, reject });
      void flush();
    });
}
