/**
 * The shapes of the CoinPays gateway API (`/api/v1`), as the server sends them
 * (web/server/gateway/orders/schemas.ts). Amounts are never JS numbers: `Money` carries the integer
 * amount in base units and the same amount in whole tokens, both as strings.
 */

export const ORDER_STATUSES = [
  "new",
  "processing",
  "settled",
  "expired",
  "underpaid",
  "overpaid",
  "paid_late",
  "refunded",
  "partially_refunded",
  "invalid",
  "cancelled",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An amount: `baseUnits` is an integer string ("12500000"), `formatted` the same in whole tokens ("12.5"). */
export type Money = { baseUnits: string; formatted: string };

export type OrderToken = { address: string; symbol: string; decimals: number };

export type Order = {
  id: string;
  object: "order";
  merchantId: string;
  reference: string | null;
  status: OrderStatus;
  chainId: number;
  token: OrderToken;
  amount: Money;
  amountPaid: Money;
  amountPending: Money;
  amountRefunded: Money;
  amountDue: Money;
  /** bytes32 on-chain reference: keccak256 of the order id. */
  orderRef: string;
  destination: string;
  /** CREATE2 address that accepts this order's payment from any wallet. */
  depositAddress: string;
  /** EIP-681 URI for wallets (the QR code's content). */
  paymentUri: string;
  checkoutUrl: string;
  /** The payment QR code (content: `paymentUri`) as SVG: public, immutable, cacheable (ETag). */
  qrSvgUrl: string;
  /** The same QR code as a 320 px PNG. */
  qrPngUrl: string;
  metadata: Record<string, unknown>;
  redirectUrl: string | null;
  expiresAt: string;
  monitorUntil: string;
  settledAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export type OrderList = { object: "list"; data: Order[]; hasMore: boolean; nextCursor: string | null };

export type Refund = {
  id: string;
  object: "refund";
  orderId: string;
  kind: "onchain" | "claim_link";
  status: "awaiting_claim" | "pending" | "completed" | "cancelled";
  amount: Money;
  toAddress: string | null;
  /** claim_link refunds: the link for the payer, returned only once. */
  claimUrl?: string;
  createdAt: string;
};

/**
 * An amount you send: a decimal string in whole tokens ("12.50"), or exact base units with the
 * token's decimals (`{ baseUnits: 12_500_000n, decimals: 6 }`). Never a float.
 */
export type AmountInput = string | { baseUnits: bigint; decimals: number };

export type CreateOrderInput = {
  amount: AmountInput;
  /** Token symbol ("USDC"), token address, or "native". */
  token: string;
  chainId: number;
  /** Your own order number; unique per merchant. */
  reference?: string;
  metadata?: Record<string, unknown>;
  /** Seconds until the order expires (60 to 604800). */
  expiresIn?: number;
  /** Where the checkout page sends the payer after payment. */
  redirectUrl?: string;
};

export type ListOrdersQuery = {
  status?: OrderStatus | OrderStatus[];
  reference?: string;
  createdFrom?: Date | string;
  createdTo?: Date | string;
  /** Page size, 1 to 100 (server default 20). */
  limit?: number;
  cursor?: string;
};

export type RefundInput = {
  kind: "onchain" | "claim_link";
  /** Default: everything paid and not yet refunded. */
  amount?: AmountInput;
  /** On-chain refunds only (default: the payer of the last payment). */
  toAddress?: string;
  reason?: string;
};

/**
 * An order as the live-status WebSocket sends it (web/server/gateway/settlement/order-sync.ts):
 * amounts here are integer strings in the token's base units, `token` is the token's address.
 */
export type OrderSnapshot = {
  id: string;
  merchantId: string;
  reference: string | null;
  status: OrderStatus;
  chainId: number;
  token: string;
  amount: string;
  amountPaid: string;
  amountPending: string;
  amountRefunded: string;
  amountDue: string;
  depositAddress: string;
  expiresAt: string;
  settledAt: string | null;
};

/** The body of a webhook delivery (web/server/gateway/webhooks/delivery.ts). */
export type WebhookEvent = {
  /** Event id (also in the CoinPays-Event-Id header): de-duplicate on it, deliveries are at-least-once. */
  id: string;
  /** "order.settled", "payment.detected", "refund.created", "webhook.test", … */
  type: string;
  createdAt: string;
  merchantId: string;
  data: {
    type: string;
    orderId?: string;
    status?: OrderStatus | null;
    previousStatus?: OrderStatus | null;
    data?: Record<string, unknown>;
    [key: string]: unknown;
  };
};
