// The orders API's shapes, as zod schemas: the same objects validate requests and generate the
// OpenAPI document (z.toJSONSchema), so the document cannot drift from what the server accepts.
import { ORDER_STATUSES, type OrderStatus } from "@coinpays/sdk";
import { isAddress } from "viem";
import { z } from "zod";

const decimalString = z
  .string()
  .regex(/^\d{1,78}(\.\d{1,77})?$/, { error: "must be a decimal string such as \"12.50\" (no sign, exponent or spaces)" });

/** JSON that Postgres' jsonb accepts and that stays small. */
const metadataSchema = z
  .record(z.string().min(1).max(100), z.unknown())
  .refine((value) => Object.keys(value).length <= 50, { error: "at most 50 keys" })
  .refine((value) => JSON.stringify(value).length <= 8_000, { error: "at most 8000 characters as JSON" })
  .meta({ description: "Your own key/value data, returned as given (at most 50 keys, 8000 characters as JSON)." });

export const createOrderSchema = z
  .object({
    amount: decimalString.meta({ description: "Amount in whole tokens as a decimal string, e.g. \"12.50\". More decimal places than the token has is an error, never rounded.", examples: ["12.50"] }),
    token: z.string().trim().min(1).max(64).meta({ description: "Token symbol (\"USDC\"), token address, or \"native\" for the chain's coin. Must be deployed on `chainId` and accepted by the merchant.", examples: ["USDC"] }),
    chainId: z.int().positive().max(2_147_483_647).meta({ description: "EVM chain id the order is paid on.", examples: [31337] }),
    reference: z.string().trim().min(1).max(200).optional().meta({ description: "Your order number; unique per merchant." }),
    metadata: metadataSchema.optional(),
    expiresIn: z.int().min(60).max(7 * 24 * 3600).optional().meta({ description: "Seconds until the order expires (default: the merchant's order expiry, 15 minutes unless changed)." }),
    redirectUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2_000).optional().meta({ description: "Where the checkout page sends the payer after payment." }),
  })
  .strict()
  .meta({ id: "CreateOrderRequest" });

const isoDateTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z" });

export const listOrdersQuerySchema = z
  .object({
    status: z
      .string()
      .max(300)
      .transform((value, ctx) => {
        const statuses = value.split(",").map((part) => part.trim()).filter(Boolean);
        const bad = statuses.filter((status) => !(ORDER_STATUSES as readonly string[]).includes(status));
        if (bad.length || statuses.length === 0) {
          ctx.addIssue({ code: "custom", message: `unknown status ${bad.join(", ") || "(empty)"}; use ${ORDER_STATUSES.join(", ")}` });
          return z.NEVER;
        }
        return statuses as OrderStatus[];
      })
      .optional()
      .meta({ description: "One status or a comma-separated list." }),
    reference: z.string().min(1).max(200).optional(),
    createdFrom: isoDateTime.optional().meta({ description: "Only orders created at or after this time." }),
    createdTo: isoDateTime.optional().meta({ description: "Only orders created before this time." }),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, { error: "must be an integer from 1 to 100" })
      .transform(Number)
      .refine((value) => value >= 1 && value <= 100, { error: "must be an integer from 1 to 100" })
      .optional()
      .meta({ description: "Page size, 1 to 100 (default 20)." }),
    cursor: z.string().min(1).max(200).optional().meta({ description: "`nextCursor` of the previous page." }),
  })
  .strict();

/** The dashboard's order list: /api/v1's filters, plus one account of the hierarchy. */
export const dashboardOrdersQuerySchema = listOrdersQuerySchema.extend({
  account: z.uuid({ error: "must be the id of this account or one of its sub-accounts" }).optional().meta({ description: "Only this account's orders (the account itself or one of its sub-accounts); default: all of them." }),
});

export const refundTransactionSchema = z
  .object({ transactionHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: "must be a 0x-prefixed 32-byte transaction hash" }) })
  .strict()
  .meta({ id: "RefundTransactionRequest" });

export const claimRefundSchema = z
  .object({
    toAddress: z
      .string()
      .refine((value) => isAddress(value, { strict: false }), { error: "must be a 0x-prefixed 20-byte address" })
      .meta({ description: "Where the refund goes, on the order's chain." }),
  })
  .strict()
  .meta({ id: "ClaimRefundRequest" });

export const refundSchema = z
  .object({
    kind: z.enum(["onchain", "claim_link"]).meta({ description: "`onchain`: the merchant sends it from the dashboard through PaymentRouter.refund. `claim_link`: the payer opens a link to give an address." }),
    amount: decimalString.optional().meta({ description: "Whole tokens; default: everything paid and not yet refunded." }),
    toAddress: z
      .string()
      .refine((value) => isAddress(value, { strict: false }), { error: "must be a 0x-prefixed 20-byte address" })
      .optional()
      .meta({ description: "On-chain refunds: where to send it (default: the payer of the order's last payment)." }),
    reason: z.string().trim().max(500).optional(),
  })
  .strict()
  .meta({ id: "CreateRefundRequest" });

export const moneySchema = z
  .object({
    baseUnits: z.string().regex(/^\d+$/).meta({ description: "Integer amount in the token's base units." }),
    formatted: z.string().meta({ description: "The same amount in whole tokens." }),
  })
  .meta({ id: "Money" });

export const orderSchema = z
  .object({
    id: z.string().meta({ examples: ["ord_3kTMd9Hq0hLxJ1bCw0Ykd2"] }),
    object: z.literal("order"),
    merchantId: z.uuid(),
    reference: z.string().nullable(),
    status: z.enum(ORDER_STATUSES),
    chainId: z.int(),
    token: z.object({ address: z.string(), symbol: z.string(), decimals: z.int() }),
    amount: moneySchema,
    amountPaid: moneySchema,
    amountPending: moneySchema,
    amountRefunded: moneySchema,
    amountDue: moneySchema,
    orderRef: z.string().meta({ description: "bytes32 on-chain reference: keccak256 of the order id." }),
    destination: z.string(),
    depositAddress: z.string().meta({ description: "Counterfactual CREATE2 address that accepts this order's payment from any wallet." }),
    paymentUri: z.string().meta({ description: "EIP-681 URI for wallets (the QR code's content)." }),
    checkoutUrl: z.string(),
    qrSvgUrl: z.string().meta({ description: "The payment QR code (content: paymentUri) as SVG; public, immutable, cacheable (ETag)." }),
    qrPngUrl: z.string().meta({ description: "The same QR code as a 320 px PNG." }),
    metadata: z.record(z.string(), z.unknown()),
    redirectUrl: z.string().nullable(),
    expiresAt: z.string(),
    monitorUntil: z.string(),
    settledAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Order" });

export const orderListSchema = z
  .object({ object: z.literal("list"), data: z.array(orderSchema), hasMore: z.boolean(), nextCursor: z.string().nullable() })
  .meta({ id: "OrderList" });

export const refundResponseSchema = z
  .object({
    id: z.uuid(),
    object: z.literal("refund"),
    orderId: z.string(),
    kind: z.enum(["onchain", "claim_link"]),
    status: z.enum(["awaiting_claim", "pending", "completed", "failed", "cancelled"]),
    amount: moneySchema,
    toAddress: z.string().nullable(),
    claimUrl: z.string().optional().meta({ description: "claim_link refunds: the link for the payer, shown only now." }),
    createdAt: z.string(),
  })
  .meta({ id: "Refund" });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: "Error" });
