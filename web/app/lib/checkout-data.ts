// Read-only data of the public checkout page (/pay/[orderId]): the order by its unguessable id and
// its confirmed payments, straight from the database for the server-side first render. Amounts are
// decimal strings in base units (never floats); the page formats them with the token's decimals.
import { and, desc, eq, ne } from "drizzle-orm";
import { orders, payments } from "../../server/db/schema.ts";
import { tokenByAddress } from "../../server/gateway/orders/tokens.ts";
import { amountDue } from "../../server/gateway/order-state.ts";
import { serverServices } from "./server-services.ts";

export type CheckoutOrder = {
  id: string;
  status: string;
  chainId: number;
  token: { address: string; symbol: string; decimals: number };
  amount: string;
  amountPaid: string;
  amountPending: string;
  amountRefunded: string;
  amountDue: string;
  orderRef: string;
  destination: string;
  depositAddress: string;
  reference: string | null;
  redirectUrl: string | null;
  expiresAt: string;
  settledAt: string | null;
  createdAt: string;
  payments: { transactionHash: string; amount: string; payer: string | null; status: string; late: boolean; at: string }[];
};

const ORDER_ID = /^ord_[0-9A-Za-z]{22}$/;

export async function readCheckoutOrder(orderId: string): Promise<CheckoutOrder | undefined> {
  if (!ORDER_ID.test(orderId)) return undefined;
  const { database } = await serverServices();
  const db = database.db;
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId)).limit(1);
  if (!order) return undefined;
  const paid = await db
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), ne(payments.status, "reorged")))
    .orderBy(desc(payments.createdAt));
  const token = tokenByAddress(order.chainId, order.token);
  return {
    id: order.id,
    status: order.status,
    chainId: order.chainId,
    token: { address: order.token, symbol: token?.symbol ?? "UNKNOWN", decimals: token?.decimals ?? 18 },
    amount: order.amount.toString(),
    amountPaid: order.amountPaid.toString(),
    amountPending: order.amountPending.toString(),
    amountRefunded: order.amountRefunded.toString(),
    amountDue: amountDue(order).toString(),
    orderRef: order.orderRef,
    destination: order.destination,
    depositAddress: order.depositAddress,
    reference: order.reference,
    redirectUrl: order.redirectUrl,
    expiresAt: order.expiresAt.toISOString(),
    settledAt: order.settledAt?.toISOString() ?? null,
    createdAt: order.createdAt.toISOString(),
    payments: paid.map((p) => ({
      transactionHash: p.transactionHash,
      amount: p.amount.toString(),
      payer: p.payer,
      status: p.status,
      late: p.late,
      at: p.createdAt.toISOString(),
    })),
  };
}
