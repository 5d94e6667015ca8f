// Orders for one account (a merchant or sub-account, as its API key allows): create (with
// Idempotency-Key), read, list with keyset pagination, cancel before payment, and refunds recorded
// for the dashboard (on-chain) or the payer (claim link). Every change writes its event through
// appendOrderEvent in the same transaction.
//
// Access is an `OrderAccess`: the account, and for a `pos` API key the key itself, which then sees
// only the orders it created (a till must not read the rest of the shop's sales).
import { randomBytes } from "node:crypto";
import { and, desc, eq, gte, inArray, lt, ne, notInArray, sql, type SQL } from "drizzle-orm";
import { AmountError, buildPaymentUri, formatAmount, parseAmount } from "@coinpays/sdk";
import { decodeEventLog, getAddress, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { paymentRouterAbi } from "@coinpays/sdk/contracts";
import { z } from "zod";
import type { AppDatabase } from "../../db/index.ts";
import { findDeployment } from "../../contracts.ts";
import { idempotencyKeys, merchants, orders, payments, refunds } from "../../db/schema.ts";
import { appendOrderEvent, orderEventStatement, type Executor } from "../events.ts";
import { sameAddress } from "../settlement/order-sync.ts";
import { completeRefund } from "../settlement/refunds.ts";
import { amountDue } from "../order-state.ts";
import { canonicalJson } from "../http/request.ts";
import { newOrderId, ORDER_ID_PATTERN, sha256Hex } from "../crypto.ts";
import { ApiError, badRequest, conflict, notFound, unprocessable } from "../http/errors.ts";
import { orderRefOf, predictDepositAddress } from "./deposit-address.ts";
import type { createOrderSchema, listOrdersQuerySchema, refundSchema } from "./schemas.ts";
import { resolveToken, tokenByAddress } from "./tokens.ts";

export const LATE_PAYMENT_WINDOW_MS = 24 * 60 * 60 * 1000;
const MAX_UINT256 = 2n ** 256n - 1n;

type OrderRow = typeof orders.$inferSelect;
type RefundRow = typeof refunds.$inferSelect;

/** Whose orders a caller may touch: one account, and with `apiKeyId` only the orders that key created. */
export type OrderAccess = { merchantId: string; apiKeyId?: string };
/** Whose orders a list shows: several accounts (an account and its sub-accounts), optionally one key's. */
export type OrderListAccess = { merchantIds: string[]; apiKeyId?: string };

/** Refunds that still hold (or used) part of the paid amount. */
const LIVE_REFUND = notInArray(refunds.status, ["cancelled", "failed"]);

export type StoredResponse = { status: number; body: unknown; replayed: boolean };

const money = (value: bigint, decimals: number) => ({ baseUnits: value.toString(), formatted: formatAmount(value, decimals) });

export function paymentUriOf(order: Pick<OrderRow, "chainId" | "token" | "depositAddress" | "amount">): string {
  return order.token === zeroAddress
    ? buildPaymentUri({ kind: "native", chainId: order.chainId, recipient: order.depositAddress as Address, amount: order.amount })
    : buildPaymentUri({ kind: "erc20", chainId: order.chainId, token: order.token as Address, recipient: order.depositAddress as Address, amount: order.amount });
}

export function orderJson(order: OrderRow, origin: string) {
  const token = tokenByAddress(order.chainId, order.token);
  const decimals = token?.decimals ?? 18;
  return {
    id: order.id,
    object: "order" as const,
    merchantId: order.merchantId,
    reference: order.reference,
    status: order.status,
    chainId: order.chainId,
    token: { address: order.token, symbol: token?.symbol ?? "UNKNOWN", decimals },
    amount: money(order.amount, decimals),
    amountPaid: money(order.amountPaid, decimals),
    amountPending: money(order.amountPending, decimals),
    amountRefunded: money(order.amountRefunded, decimals),
    amountDue: money(amountDue(order), decimals),
    orderRef: order.orderRef,
    destination: order.destination,
    depositAddress: order.depositAddress,
    paymentUri: paymentUriOf(order),
    checkoutUrl: `${origin}/pay/${order.id}`,
    qrSvgUrl: `${origin}/api/v1/orders/${order.id}/qr.svg`,
    qrPngUrl: `${origin}/api/v1/orders/${order.id}/qr.png`,
    metadata: order.metadata,
    redirectUrl: order.redirectUrl,
    expiresAt: order.expiresAt.toISOString(),
    monitorUntil: order.monitorUntil.toISOString(),
    settledAt: order.settledAt?.toISOString() ?? null,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

/** Opaque page cursor: the last order id of the page (keyset on created_at, id). */
function encodeCursor(orderId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, id: orderId })).toString("base64url");
}
function decodeCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { v?: unknown; id?: unknown };
    if (value.v === 1 && typeof value.id === "string" && ORDER_ID_PATTERN.test(value.id)) return value.id;
  } catch {
    // fall through
  }
  throw badRequest("cursor is not one this API returned", [{ field: "cursor", message: "invalid" }]);
}

function amountField(value: string, decimals: number, field: string): bigint {
  let amount: bigint;
  try {
    amount = parseAmount(value, decimals);
  } catch (error) {
    if (error instanceof AmountError) throw new ApiError(400, "validation_failed", `${field}: ${error.message}`, [{ field, message: error.message }]);
    throw error;
  }
  if (amount <= 0n) throw new ApiError(400, "validation_failed", `${field}: must be greater than zero`, [{ field, message: "must be greater than zero" }]);
  if (amount > MAX_UINT256) throw new ApiError(400, "validation_failed", `${field}: too large`, [{ field, message: "exceeds uint256" }]);
  return amount;
}

/** A PostgreSQL unique violation (23505) on the named constraint. */
function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const pgError = cause as Error & { code?: string; constraint?: string };
    if (pgError.code === "23505" && pgError.constraint === constraint) return true;
  }
  return false;
}

export function refundJson(refund: RefundRow, decimals: number) {
  return {
    id: refund.id,
    object: "refund" as const,
    orderId: refund.orderId,
    kind: refund.kind,
    status: refund.status,
    amount: money(refund.amount, decimals),
    toAddress: refund.toAddress,
    transactionHash: refund.transactionHash,
    error: refund.error,
    createdAt: refund.createdAt.toISOString(),
    updatedAt: refund.updatedAt.toISOString(),
  };
}

const REFUND_EVENT = paymentRouterAbi.find((item) => item.type === "event" && item.name === "PaymentRefunded")!;

export type OrderServiceDeps = { db: AppDatabase; chainId: number; chainClient?: PublicClient };

export function createOrderService({ db, chainId: servedChainId, chainClient }: OrderServiceDeps) {
  // Named prepared statements: built once here, parsed and planned once per database connection.
  const merchantWithStoredResponse = db
    .select({ merchant: merchants, stored: idempotencyKeys })
    .from(merchants)
    .leftJoin(idempotencyKeys, and(eq(idempotencyKeys.merchantId, merchants.id), eq(idempotencyKeys.key, sql.placeholder("key"))))
    .where(eq(merchants.id, sql.placeholder("merchantId")))
    .prepare("order_create_merchant");
  const orderOfMerchant = db
    .select()
    .from(orders)
    .where(and(eq(orders.id, sql.placeholder("orderId")), eq(orders.merchantId, sql.placeholder("merchantId"))))
    .limit(1)
    .prepare("order_of_merchant");
  /** For a key limited to its own orders (`pos`): the order only if this key created it. */
  const orderOfKey = db
    .select()
    .from(orders)
    .where(and(eq(orders.id, sql.placeholder("orderId")), eq(orders.merchantId, sql.placeholder("merchantId")), eq(orders.apiKeyId, sql.placeholder("apiKeyId"))))
    .limit(1)
    .prepare("order_of_api_key");

  async function loadOrder(executor: Executor, access: OrderAccess, orderId: string, lock = false): Promise<OrderRow> {
    if (!ORDER_ID_PATTERN.test(orderId)) throw notFound("Order");
    const conditions = [eq(orders.id, orderId), eq(orders.merchantId, access.merchantId)];
    if (access.apiKeyId) conditions.push(eq(orders.apiKeyId, access.apiKeyId));
    const query = executor.select().from(orders).where(and(...conditions)).limit(1);
    const [order] = lock ? await query.for("update") : await query;
    if (!order) throw notFound("Order");
    return order;
  }

  /** The stored response of an Idempotency-Key, or 422 when the key came with another request. */
  function replay(stored: typeof idempotencyKeys.$inferSelect, requestHash: string): StoredResponse {
    if (stored.requestHash !== requestHash) {
      throw unprocessable("idempotency_key_reused", "This Idempotency-Key was used with a different request; use a new key");
    }
    if (stored.responseStatus === null) throw conflict("idempotency_conflict", "A request with this Idempotency-Key is still being processed; retry");
    return { status: stored.responseStatus, body: stored.responseBody, replayed: true };
  }

  /**
   * Runs `work` once per (merchant, Idempotency-Key). The key row is inserted first in the same
   * transaction: a concurrent request with the same key blocks on it until this one commits, then
   * replays the stored response. A failed request rolls back its key with everything else.
   */
  async function idempotent(merchantId: string, key: string | undefined, requestHash: string, work: (tx: Executor) => Promise<{ status: number; body: unknown }>): Promise<StoredResponse> {
    return db.transaction(async (tx) => {
      if (key !== undefined) {
        const inserted = await tx.insert(idempotencyKeys).values({ merchantId, key, requestHash }).onConflictDoNothing().returning({ key: idempotencyKeys.key });
        if (inserted.length === 0) {
          const [existing] = await tx
            .select()
            .from(idempotencyKeys)
            .where(and(eq(idempotencyKeys.merchantId, merchantId), eq(idempotencyKeys.key, key)));
          if (!existing) throw conflict("idempotency_conflict", "A request with this Idempotency-Key is still being processed; retry");
          return replay(existing, requestHash);
        }
      }
      const result = await work(tx);
      if (key !== undefined) {
        await tx
          .update(idempotencyKeys)
          .set({ responseStatus: result.status, responseBody: result.body })
          .where(and(eq(idempotencyKeys.merchantId, merchantId), eq(idempotencyKeys.key, key)));
      }
      return { ...result, replayed: false };
    });
  }

  return {
    requestHash: (method: string, path: string, body: unknown) => sha256Hex(`${method} ${path}\n${canonicalJson(body)}`),

    async create(merchantId: string, input: z.output<typeof createOrderSchema>, options: { origin: string; idempotencyKey?: string; requestHash: string; apiKeyId?: string; ownKeyOnly?: boolean }): Promise<StoredResponse> {
      // A key limited to its own orders has its own Idempotency-Key namespace: replaying another key's
      // key must not hand it that key's order.
      const key = options.ownKeyOnly && options.idempotencyKey !== undefined ? `key:${options.apiKeyId}:${options.idempotencyKey}` : options.idempotencyKey;
      // "" is never a valid Idempotency-Key, so without a key the join finds nothing.
      const [found] = await merchantWithStoredResponse.execute({ merchantId, key: key ?? "" });
      if (!found) throw notFound("Merchant");
      if (found.stored) return replay(found.stored, options.requestHash);
      const { merchant } = found;
      const deployment = findDeployment(input.chainId);
      if (input.chainId !== servedChainId || !deployment) {
        throw unprocessable("chain_not_supported", `Orders can be paid on chain ${servedChainId} here, not on chain ${input.chainId}`, [{ field: "chainId", message: "not served" }]);
      }
      const token = resolveToken(input.chainId, input.token, merchant.acceptedTokens);
      const amount = amountField(input.amount, token.decimals, "amount");
      const expiresIn = input.expiresIn ?? merchant.orderExpirySeconds;

      const id = newOrderId();
      const orderRef = orderRefOf(id);
      const destination = getAddress(merchant.payoutAddress);
      const depositAddress = predictDepositAddress({ factory: deployment.contracts.DepositAddressFactory.address, destination, orderRef });
      // Timestamps from this clock rather than the database's, so the response (stored with the
      // Idempotency-Key in the same statement) is known before the row is written.
      const createdAt = new Date();
      const expiresAt = new Date(createdAt.getTime() + expiresIn * 1000);
      const order: OrderRow = {
        id,
        merchantId,
        reference: input.reference ?? null,
        status: "new",
        chainId: input.chainId,
        token: token.address,
        amount,
        amountPaid: 0n,
        amountPending: 0n,
        amountRefunded: 0n,
        orderRef,
        destination,
        depositAddress,
        metadata: input.metadata ?? {},
        redirectUrl: input.redirectUrl ?? null,
        apiKeyId: options.apiKeyId ?? null,
        expiresAt,
        monitorUntil: new Date(expiresAt.getTime() + LATE_PAYMENT_WINDOW_MS),
        settledAt: null,
        createdAt,
        updatedAt: createdAt,
      };
      const body = orderJson(order, options.origin);
      // The QR images are linked (qrSvgUrl, qrPngUrl), not inlined: rendering them took more CPU
      // than the rest of the creation together (docs/benchmarks.md).
      const response = { status: 201, body };

      // Only the partial unique index on (merchant, reference) can stop the order row: then nothing
      // else is written. The key row has no ON CONFLICT: a twin request that committed first fails it.
      // (drizzle renders the embedded insert in parentheses, as a CTE body needs.)
      const ctes = sql`created as ${db.insert(orders).values(order).onConflictDoNothing().returning({ id: orders.id })}${
        key === undefined
          ? sql``
          : sql`, idempotency as (
              insert into ${idempotencyKeys} (merchant_id, key, request_hash, response_status, response_body)
              select ${merchantId}::uuid, ${key}::text, ${options.requestHash}::text, ${response.status}::int, ${JSON.stringify(body)}::jsonb from created
            )`
      }`;
      const event = orderEventStatement(
        {
          orderId: id,
          merchantId,
          type: "order.created",
          fromStatus: null,
          toStatus: "new",
          data: { amount: amount.toString(), token: token.address, chainId: input.chainId, depositAddress, reference: input.reference ?? null, expiresAt: expiresAt.toISOString() },
        },
        { ctes, source: "created" },
      );
      let written: boolean;
      try {
        written = ((await db.execute(event)) as unknown as { rows: unknown[] }).rows.length > 0;
      } catch (error) {
        if (key === undefined || !isUniqueViolation(error, "idempotency_keys_merchant_id_key_pk")) throw error;
        written = false;
      }
      if (written) return { ...response, replayed: false };
      // Not written: a request with this Idempotency-Key committed first (replay it), or the reference is taken.
      if (key !== undefined) {
        const [stored] = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.merchantId, merchantId), eq(idempotencyKeys.key, key)));
        if (stored) return replay(stored, options.requestHash);
      }
      const [taken] = await db.select({ id: orders.id }).from(orders).where(and(eq(orders.merchantId, merchantId), eq(orders.reference, input.reference ?? ""))).limit(1);
      throw conflict("reference_taken", `An order with reference "${input.reference}" already exists${taken ? ` (${taken.id})` : ""}`);
    },

    async get(access: OrderAccess, orderId: string, origin: string) {
      if (!ORDER_ID_PATTERN.test(orderId)) throw notFound("Order");
      const [order] = access.apiKeyId
        ? await orderOfKey.execute({ orderId, merchantId: access.merchantId, apiKeyId: access.apiKeyId })
        : await orderOfMerchant.execute({ orderId, merchantId: access.merchantId });
      if (!order) throw notFound("Order");
      return orderJson(order, origin);
    },

    /** Public view for the checkout and its QR code: anyone holding the unguessable id. */
    async getPublic(orderId: string): Promise<OrderRow> {
      if (!ORDER_ID_PATTERN.test(orderId)) throw notFound("Order");
      const [order] = await db.select().from(orders).where(eq(orders.id, orderId)).limit(1);
      if (!order) throw notFound("Order");
      return order;
    },

    async list(access: OrderListAccess, query: z.output<typeof listOrdersQuerySchema>, origin: string) {
      const limit = query.limit ?? 20;
      const ownership: SQL[] = [inArray(orders.merchantId, access.merchantIds)];
      if (access.apiKeyId) ownership.push(eq(orders.apiKeyId, access.apiKeyId));
      const conditions: SQL[] = [...ownership];
      if (query.status) conditions.push(inArray(orders.status, query.status));
      if (query.reference !== undefined) conditions.push(eq(orders.reference, query.reference));
      if (query.createdFrom) conditions.push(gte(orders.createdAt, new Date(query.createdFrom)));
      if (query.createdTo) conditions.push(lt(orders.createdAt, new Date(query.createdTo)));
      if (query.cursor !== undefined) {
        const afterId = decodeCursor(query.cursor);
        const [anchor] = await db.select({ id: orders.id }).from(orders).where(and(eq(orders.id, afterId), ...ownership));
        if (!anchor) throw badRequest("cursor is not one this API returned", [{ field: "cursor", message: "invalid" }]);
        // Compared in SQL against the anchor row itself: created_at keeps microseconds that a JS Date would lose.
        conditions.push(sql`(${orders.createdAt}, ${orders.id}) < (select o.created_at, o.id from orders o where o.id = ${afterId})`);
      }
      const rows = await db
        .select()
        .from(orders)
        .where(and(...conditions))
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const hasMore = rows.length > limit;
      return { object: "list" as const, data: page.map((row) => orderJson(row, origin)), hasMore, nextCursor: hasMore ? encodeCursor(page.at(-1)!.id) : null };
    },

    async cancel(access: OrderAccess, orderId: string, options: { origin: string; idempotencyKey?: string; requestHash: string }): Promise<StoredResponse> {
      const { merchantId } = access;
      const idempotencyKey = access.apiKeyId && options.idempotencyKey !== undefined ? `key:${access.apiKeyId}:${options.idempotencyKey}` : options.idempotencyKey;
      return idempotent(merchantId, idempotencyKey, options.requestHash, async (tx) => {
        const order = await loadOrder(tx, access, orderId, true);
        if (order.status === "cancelled") throw conflict("order_not_cancellable", "The order is already cancelled");
        const [anyPayment] = await tx.select({ id: payments.id }).from(payments).where(and(eq(payments.orderId, order.id), ne(payments.status, "reorged"))).limit(1);
        if ((order.status !== "new" && order.status !== "expired") || order.amountPaid > 0n || order.amountPending > 0n || anyPayment) {
          throw conflict("order_not_cancellable", `Only an order without any payment can be cancelled; this one is ${order.status}`);
        }
        const [updated] = await tx.update(orders).set({ status: "cancelled", updatedAt: sql`now()` }).where(eq(orders.id, order.id)).returning();
        await appendOrderEvent(tx, { orderId: order.id, merchantId, type: "order.cancelled", fromStatus: order.status, toStatus: "cancelled", data: {} });
        return { status: 200, body: orderJson(updated!, options.origin) };
      });
    },

    async createRefund(merchantId: string, orderId: string, input: z.output<typeof refundSchema>, options: { origin: string; idempotencyKey?: string; requestHash: string }): Promise<StoredResponse> {
      if (input.kind === "claim_link" && input.toAddress !== undefined) {
        throw new ApiError(400, "validation_failed", "toAddress: a claim link asks the payer for the address", [{ field: "toAddress", message: "not allowed with claim_link" }]);
      }
      return idempotent(merchantId, options.idempotencyKey, options.requestHash, async (tx) => {
        const order = await loadOrder(tx, { merchantId }, orderId, true);
        const decimals = tokenByAddress(order.chainId, order.token)?.decimals ?? 18;
        if (order.amountPaid === 0n) throw conflict("nothing_to_refund", "The order has no confirmed payment to refund");
        const [reserved] = await tx
          .select({ total: sql<string>`coalesce(sum(${refunds.amount}), 0)::text` })
          .from(refunds)
          .where(and(eq(refunds.orderId, order.id), LIVE_REFUND));
        const refundable = order.amountPaid - BigInt(reserved?.total ?? "0");
        if (refundable <= 0n) throw conflict("nothing_to_refund", "Everything paid has already been refunded or is being refunded");
        const amount = input.amount === undefined ? refundable : amountField(input.amount, decimals, "amount");
        if (amount > refundable) {
          throw unprocessable("refund_exceeds_paid", `At most ${formatAmount(refundable, decimals)} can still be refunded`, [{ field: "amount", message: "more than refundable" }]);
        }
        let toAddress: string | null = null;
        let claimToken: string | undefined;
        if (input.kind === "onchain") {
          if (input.toAddress !== undefined) toAddress = getAddress(input.toAddress);
          else {
            const [payment] = await tx
              .select({ payer: payments.payer })
              .from(payments)
              .where(and(eq(payments.orderId, order.id), eq(payments.status, "confirmed")))
              .orderBy(desc(payments.blockNumber))
              .limit(1);
            if (!payment?.payer) throw unprocessable("refund_address_required", "No payer address is known for this order; give toAddress", [{ field: "toAddress", message: "required" }]);
            toAddress = getAddress(payment.payer);
          }
        } else {
          claimToken = randomBytes(32).toString("base64url");
        }
        const [refund] = await tx
          .insert(refunds)
          .values({
            orderId: order.id,
            kind: input.kind,
            status: input.kind === "onchain" ? "pending" : "awaiting_claim",
            amount,
            toAddress,
            claimTokenHash: claimToken ? sha256Hex(claimToken) : null,
          })
          .returning();
        await appendOrderEvent(tx, {
          orderId: order.id,
          merchantId,
          type: "refund.created",
          data: { refundId: refund!.id, kind: input.kind, amount: amount.toString(), toAddress, ...(input.reason ? { reason: input.reason } : {}) },
        });
        return {
          status: 201,
          body: {
            id: refund!.id,
            object: "refund",
            orderId: order.id,
            kind: refund!.kind,
            status: refund!.status,
            amount: money(amount, decimals),
            toAddress,
            ...(claimToken ? { claimUrl: `${options.origin}/refunds/claim/${claimToken}` } : {}),
            createdAt: refund!.createdAt.toISOString(),
          },
        };
      });
    },

    /** The order's refunds, and whether the router can refund it (only router payments are refundable there). */
    async listRefunds(merchantId: string, orderId: string) {
      const order = await loadOrder(db, { merchantId }, orderId);
      const decimals = tokenByAddress(order.chainId, order.token)?.decimals ?? 18;
      const rows = await db.select().from(refunds).where(eq(refunds.orderId, order.id)).orderBy(refunds.createdAt);
      const [routerPayment] = await db
        .select({ id: payments.id })
        .from(payments)
        .where(and(eq(payments.orderId, order.id), eq(payments.method, "router"), eq(payments.status, "confirmed")))
        .limit(1);
      return {
        data: rows.map((row) => refundJson(row, decimals)),
        orderRef: order.orderRef,
        /** The router refunds from this address (the order's payout destination) only. */
        refunder: order.destination,
        paymentRouter: findDeployment(order.chainId)?.contracts.PaymentRouter.address ?? null,
        routerRefundable: Boolean(routerPayment),
      };
    },

    /**
     * The merchant's wallet sent `PaymentRouter.refund` for a pending on-chain refund: checks the
     * transaction's receipt on the chain. Mined and carrying the matching `PaymentRefunded` log
     * (this order's ref, its destination as merchant, the refund's recipient and amount): the refund
     * completes and the order's refunded amount and status follow. Reverted, or refunding something
     * else: the refund fails and its amount is refundable again. Not mined yet: nothing changes.
     */
    async recordRefundTransaction(merchantId: string, orderId: string, refundId: string, transactionHash: Hex, origin: string) {
      if (!chainClient) throw new ApiError(503, "chain_unavailable", "This server has no chain client");
      if (!z.uuid().safeParse(refundId).success) throw notFound("Refund");
      const order = await loadOrder(db, { merchantId }, orderId);
      // Checked before asking the chain, so a wrong id is a 404 whatever the chain's state; again under the lock below.
      const [known] = await db.select({ kind: refunds.kind, status: refunds.status }).from(refunds).where(and(eq(refunds.id, refundId), eq(refunds.orderId, order.id)));
      if (!known) throw notFound("Refund");
      if (known.kind === "claim_link" && known.status === "awaiting_claim") throw conflict("refund_not_claimed", "The payer has not claimed this refund yet: no address to send it to");
      const receipt = await chainClient.getTransactionReceipt({ hash: transactionHash }).catch((error: Error) => {
        if (error.name === "TransactionReceiptNotFoundError") return null;
        throw new ApiError(503, "chain_unavailable", "Could not read the transaction (the chain's RPC did not answer); try again shortly", undefined, {}, error);
      });
      const router = findDeployment(order.chainId)?.contracts.PaymentRouter.address;
      return db.transaction(async (tx) => {
        const locked = await loadOrder(tx, { merchantId }, order.id, true);
        const decimals = tokenByAddress(locked.chainId, locked.token)?.decimals ?? 18;
        const [refund] = await tx.select().from(refunds).where(and(eq(refunds.id, refundId), eq(refunds.orderId, locked.id)));
        if (!refund) throw notFound("Refund");
        if (refund.status !== "pending") {
          if (refund.transactionHash === transactionHash) return { refund: refundJson(refund, decimals), order: orderJson(locked, origin) };
          throw conflict("refund_not_pending", `The refund is already ${refund.status}`);
        }
        if (!receipt) {
          const [updated] = await tx.update(refunds).set({ transactionHash, updatedAt: sql`now()` }).where(eq(refunds.id, refund.id)).returning();
          return { refund: refundJson(updated!, decimals), order: orderJson(locked, origin) };
        }
        const [usedElsewhere] = await tx
          .select({ id: refunds.id })
          .from(refunds)
          .where(and(eq(refunds.transactionHash, transactionHash), eq(refunds.status, "completed")))
          .limit(1);
        const matching = receipt.status === "success" && router && !usedElsewhere
          ? receipt.logs.some((log) => {
              if (!sameAddress(log.address, router)) return false;
              try {
                const decoded = decodeEventLog({ abi: [REFUND_EVENT], data: log.data, topics: log.topics });
                const args = decoded.args as { orderRef: Hex; merchant: Address; to: Address; amount: bigint };
                return args.orderRef.toLowerCase() === locked.orderRef.toLowerCase() && sameAddress(args.merchant, locked.destination) && refund.toAddress !== null && sameAddress(args.to, refund.toAddress) && args.amount === refund.amount;
              } catch {
                return false;
              }
            })
          : false;
        if (!matching) {
          const error = receipt.status !== "success" ? "The transaction reverted" : usedElsewhere ? "The transaction already completed another refund" : "The transaction does not refund this order's amount to its recipient through the PaymentRouter";
          const [failed] = await tx.update(refunds).set({ status: "failed", transactionHash, error, updatedAt: sql`now()` }).where(eq(refunds.id, refund.id)).returning();
          await appendOrderEvent(tx, { orderId: locked.id, merchantId: locked.merchantId, type: "refund.failed", data: { refundId: refund.id, transactionHash, error } });
          return { refund: refundJson(failed!, decimals), order: orderJson(locked, origin) };
        }
        const completed = await completeRefund(tx, locked, refund, { transactionHash, blockNumber: receipt.blockNumber }, new Date());
        return { refund: refundJson(completed.refund, decimals), order: orderJson(completed.sync.order, origin) };
      });
    },

    /** Withdraws a refund nobody has sent yet (awaiting its claim, or pending without a transaction); its amount is refundable again. */
    async cancelRefund(merchantId: string, orderId: string, refundId: string) {
      if (!z.uuid().safeParse(refundId).success) throw notFound("Refund");
      return db.transaction(async (tx) => {
        const order = await loadOrder(tx, { merchantId }, orderId, true);
        const [refund] = await tx.select().from(refunds).where(and(eq(refunds.id, refundId), eq(refunds.orderId, order.id)));
        if (!refund) throw notFound("Refund");
        if (!(refund.status === "awaiting_claim" || (refund.status === "pending" && refund.transactionHash === null))) {
          throw conflict("refund_not_cancellable", `A ${refund.status} refund${refund.transactionHash ? " with a transaction" : ""} cannot be cancelled`);
        }
        const [cancelled] = await tx.update(refunds).set({ status: "cancelled", updatedAt: sql`now()` }).where(eq(refunds.id, refund.id)).returning();
        await appendOrderEvent(tx, { orderId: order.id, merchantId: order.merchantId, type: "refund.cancelled", data: { refundId: refund.id } });
        return refundJson(cancelled!, tokenByAddress(order.chainId, order.token)?.decimals ?? 18);
      });
    },

    /** What the payer sees on a claim link: the amount and the order, nothing about the merchant's other business. */
    async getClaim(claimToken: string) {
      const { refund, order } = await claimOf(db, claimToken);
      const token = tokenByAddress(order.chainId, order.token);
      return {
        refund: { id: refund.id, status: refund.status, amount: money(refund.amount, token?.decimals ?? 18), toAddress: refund.toAddress },
        order: { id: order.id, reference: order.reference, chainId: order.chainId, token: { address: order.token, symbol: token?.symbol ?? "UNKNOWN", decimals: token?.decimals ?? 18 } },
      };
    },

    /** The payer names the address to refund to, once; the merchant then sends it from the dashboard. */
    async claimRefund(claimToken: string, toAddress: string) {
      return db.transaction(async (tx) => {
        const { refund, order } = await claimOf(tx, claimToken, true);
        if (refund.status !== "awaiting_claim") throw conflict("refund_already_claimed", `This refund is already ${refund.status === "pending" ? "claimed" : refund.status}`);
        const [claimed] = await tx.update(refunds).set({ status: "pending", toAddress: getAddress(toAddress), updatedAt: sql`now()` }).where(eq(refunds.id, refund.id)).returning();
        await appendOrderEvent(tx, { orderId: order.id, merchantId: order.merchantId, type: "refund.claimed", data: { refundId: refund.id, toAddress: claimed!.toAddress } });
        return { refund: { id: claimed!.id, status: claimed!.status, toAddress: claimed!.toAddress } };
      });
    },
  };
}

/** A refund by its claim token (only the token's hash is stored), with its order; 404 for anything else. */
async function claimOf(executor: Executor, claimToken: string, lock = false) {
  if (!/^[A-Za-z0-9_-]{43}$/.test(claimToken)) throw notFound("Refund claim");
  const query = executor.select().from(refunds).where(eq(refunds.claimTokenHash, sha256Hex(claimToken))).limit(1);
  const [refund] = lock ? await query.for("update") : await query;
  if (!refund) throw notFound("Refund claim");
  const [order] = await executor.select().from(orders).where(eq(orders.id, refund.orderId));
  return { refund, order: order! };
}

export type OrderService = ReturnType<typeof createOrderService>;
