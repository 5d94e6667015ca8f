import { Hono, type Context } from "hono";
import { and, client, desc, eq, graphql } from "ponder";
import { db } from "ponder:api";
import schema from "ponder:schema";
import { stringify } from "csv-stringify/sync";
import { isAddress } from "viem";
import { analytics, type Row } from "./analytics.ts";
import { BadRequest, parseAnalyticsQuery } from "./params.ts";

const app = new Hono();

// Ponder's own read APIs: GraphQL for the dashboards, SQL-over-HTTP for @ponder/client.
app.use("/graphql", graphql({ db, schema }));
app.use("/sql/*", client({ db, schema }));

const badRequest = (c: Context, code: string, message: string) => c.json({ error: { code, message } }, 400);

/** A merchant's latest payments, newest first. Amounts are decimal strings of base units. */
app.get("/merchants/:merchant/payments", async (c) => {
  const merchant = c.req.param("merchant");
  if (!isAddress(merchant)) return badRequest(c, "invalid_address", "merchant must be an address");
  const limitParam = Number(c.req.query("limit") ?? 50);
  if (!Number.isInteger(limitParam) || limitParam < 1 || limitParam > 500) return badRequest(c, "invalid_limit", "limit must be an integer from 1 to 500");
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

/**
 * The analytics endpoints (shapes in indexer/README.md): JSON by default, the `data` rows as CSV with
 * `format=csv`. The indexer is not public: the web server calls it for a signed-in merchant with that
 * merchant's payout addresses, which is what keeps every answer to the merchant's own rows.
 */
for (const [name, { run, columns }] of Object.entries(analytics)) {
  app.get(`/analytics/${name}`, async (c) => {
    let query;
    try {
      query = parseAnalyticsQuery(c.req.query());
    } catch (error) {
      if (error instanceof BadRequest) return badRequest(c, error.code, error.message);
      throw error;
    }
    const result: { data: Row[] } = await run(db, query);
    if (query.format === "csv") {
      // The header comes from the endpoint's column list, so an empty range still downloads a CSV a
      // spreadsheet or an import script can read.
      const csv = stringify(result.data, { header: true, columns: [...columns] });
      c.header("Content-Type", "text/csv; charset=utf-8");
      c.header("Content-Disposition", `attachment; filename="${name}.csv"`);
      return c.body(csv);
    }
    return c.json({
      query: { merchant: query.merchants, from: Number(query.from), to: Number(query.to), interval: query.interval, chainId: query.chainId ?? null, token: query.token ?? null, limit: query.limit },
      ...result,
    });
  });
}

export default app;
