import { Hono } from "hono";
import { and, client, desc, eq, graphql } from "ponder";
import { db } from "ponder:api";
import schema from "ponder:schema";
import { isAddress } from "viem";

const app = new Hono();

// Ponder's own read APIs: GraphQL for the dashboards, SQL-over-HTTP for @ponder/client.
app.use("/graphql", graphql({ db, schema }));
app.use("/sql/*", client({ db, schema }));

/** A merchant's latest payments, newest first. Amounts are decimal strings of base units. */
app.get("/merchants/:merchant/payments", async (c) => {
  const merchant = c.req.param("merchant");
  if (!isAddress(merchant)) return c.json({ error: { code: "invalid_address", message: "merchant must be an address" } }, 400);
  const limitParam = Number(c.req.query("limit") ?? 50);
  if (!Number.isInteger(limitParam) || limitParam < 1 || limitParam > 500) {
    return c.json({ error: { code: "invalid_limit", message: "limit must be an integer from 1 to 500" } }, 400);
  }
  const rows = await db
    .select()
    .from(schema.payment)
    .where(and(eq(schema.payment.merchant, merchant.toLowerCase() as `0x${string}`)))
    .orderBy(desc(schema.payment.blockNumber), desc(schema.payment.logIndex))
    .limit(limitParam);
  return c.json({
    data: rows.map((row) => ({
      ...row,
      amount: row.amount.toString(),
      merchantAmount: row.merchantAmount.toString(),
      fee: row.fee.toString(),
      refundedAmount: row.refundedAmount.toString(),
      valueUsdE8: row.valueUsdE8?.toString() ?? null,
      blockNumber: row.blockNumber.toString(),
      timestamp: row.timestamp.toString(),
    })),
  });
});

export default app;
