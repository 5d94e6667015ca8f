import { Hono, type Context } from "hono";
import { and, client, desc, eq, graphql } from "ponder";
import { db } from "ponder:api";
import schema from "ponder:schema";
import { stringify } from "csv-stringify/sync";
import { isAddress } from "viem";
import { bearerMatches, loadApiAccess } from "./access.ts";
import { analytics, type Row } from "./analytics.ts";
import { BadRequest, parseAnalyticsQuery } from "./params.ts";
import { applyStatementTimeout } from "./statement-timeout.ts";

const access = loadApiAccess();
/** How many SQL-over-HTTP queries may run at once (see the /sql/db gate below). */
const SQL_IN_FLIGHT = 2;
applyStatementTimeout(db, access.statementTimeoutMs);

const app = new Hono();

// Every route of this app needs the web server's secret. Ponder's own /health, /ready, /status and /metrics
// are answered before this app is reached (ponder/src/server), so load balancers and the web server's health
// check keep working without it; they say whether the indexer is up and how far it got, no merchant's data.
app.use("*", async (c, next) => {
  if (!bearerMatches(c.req.header("authorization"), access.secret)) {
    c.header("WWW-Authenticate", 'Bearer realm="coinpays-indexer"');
    return c.json({ error: { code: "unauthorized", message: "This API needs Authorization: Bearer <INDEXER_API_SECRET>" } }, 401);
  }
  await next();
});

// Ponder's generic read APIs, off unless switched on: GraphQL (INDEXER_GRAPHQL=on) and SQL over HTTP for
// @ponder/client (INDEXER_SQL_API=on). Both read every table of every merchant, and the SQL API runs queries
// the caller writes (Ponder's validator allows read-only SELECTs; the statement timeout bounds them).
if (access.graphql) app.use("/graphql", graphql({ db, schema }));
if (access.sqlApi) {
  // Ponder retries a failed statement up to 9 times with back-off (ponder/src/database/queryBuilder.ts), one the
  // statement timeout cancelled among them: a single request keeps a connection busy for 10 × the timeout over
  // about a minute. So at most SQL_IN_FLIGHT such requests run at once; more answer 503 at once.
  let inFlight = 0;
  app.use("/sql/db", async (c, next) => {
    if (inFlight >= SQL_IN_FLIGHT) {
      c.header("Retry-After", "5");
      return c.json({ error: { code: "busy", message: `At most ${SQL_IN_FLIGHT} SQL queries run at once; try again shortly` } }, 503);
    }
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
    }
  });
  app.use("/sql/*", client({ db, schema }));
}

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
 * `format=csv`. The indexer is not public (loopback, and the secret above): the web server calls it for a
 * signed-in merchant with that merchant's payout addresses, which is what keeps every answer to the
 * merchant's own rows.
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
