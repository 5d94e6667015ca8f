// Merchant analytics for the dashboard. On-chain figures come from the Ponder indexer's analytics API
// (indexer/src/api), which is not public (it requires INDEXER_API_SECRET, which only this server holds): this
// service calls it on behalf of a signed-in member, with the
// payout addresses of the account (and, when asked, of its sub-accounts) looked up here. The address
// filter is never taken from the client, and only *proven* payout addresses go into it (their owner signed
// for this account, or a member set their own signed-in address: merchants/payout-proof.ts): typing
// somebody else's wallet as a payout address must not show its payments. An answer names the accounts
// left out for an unproven address, so an answer can only ever describe wallets of accounts the user
// belongs to.
// Conversion (orders created vs paid) comes from the gateway's own orders table, which the indexer does
// not have.
import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { stringify } from "csv-stringify/sync";
import { formatUnits, isAddress } from "viem";
import { z } from "zod";
import type { AppDatabase } from "../../db/index.ts";
import { merchants, orders } from "../../db/schema.ts";
import { ApiError, badRequest, unprocessable } from "../http/errors.ts";
import { provenPayoutAddress } from "../merchants/payout-proof.ts";
import { MAX_HIERARCHY_DEPTH, type createMerchantService } from "../merchants/service.ts";

/** Metrics the indexer answers, by the name the dashboard uses in its URLs (= the indexer's path). */
export const INDEXER_METRICS = ["revenue", "top-payers", "payment-methods", "refunds", "split-payouts", "loyalty", "lending"] as const;
export const METRICS = [...INDEXER_METRICS, "conversion"] as const;
export type IndexerMetric = (typeof INDEXER_METRICS)[number];
export type Metric = (typeof METRICS)[number];

type Interval = "hour" | "day";
const INTERVAL_SECONDS: Record<Interval, number> = { hour: 3_600, day: 86_400 };
// The indexer's own limits (indexer/src/api/params.ts), checked here too so that a bad range is a 400 with
// field details before any call leaves this process.
const MAX_SPAN_DAYS: Record<Interval, number> = { hour: 93, day: 3_660 };
const DEFAULT_SPAN_SECONDS = 30 * 86_400;
const MAX_ADDRESSES = 100;
const INDEXER_TIMEOUT_MS = 15_000;

const time = z
  .string()
  .trim()
  .refine((value) => /^\d{1,12}$/.test(value) || (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value))), {
    error: "must be unix seconds or an ISO 8601 date/time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z",
  })
  .transform((value) => (/^\d+$/.test(value) ? Number(value) : Math.floor(Date.parse(value) / 1000)));

export const analyticsQuerySchema = z
  .object({
    from: time.optional().meta({ description: "Start of the range (inclusive): unix seconds or ISO 8601. Default: 30 days before `to`." }),
    to: time.optional().meta({ description: "End of the range (exclusive): unix seconds or ISO 8601. Default: now." }),
    interval: z.enum(["hour", "day"]).default("day").meta({ description: "Bucket size (UTC) of time series; hour ranges span at most 93 days, day ranges 3660." }),
    chainId: z
      .string()
      .regex(/^[1-9]\d{0,9}$/, { error: "must be a positive integer" })
      .transform(Number)
      .optional(),
    token: z
      .string()
      .refine((value) => isAddress(value, { strict: false }), { error: "must be a token address (the zero address for the native coin)" })
      .transform((value) => value.toLowerCase())
      .optional(),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, { error: "must be an integer from 1 to 500" })
      .transform(Number)
      .refine((value) => value >= 1 && value <= 500, { error: "must be an integer from 1 to 500" })
      .default(20)
      .meta({ description: "Rows of ranked lists (top payers, refunds, split payouts), 1 to 500 (default 20)." }),
    subAccounts: z.enum(["include", "exclude"]).default("exclude").meta({ description: "`include` adds every sub-account below this account (their payout addresses and orders)." }),
    format: z.enum(["json", "csv"]).default("json"),
  })
  .strict()
  .transform((query, ctx) => {
    const to = query.to ?? Math.floor(Date.now() / 1000);
    const from = query.from ?? to - DEFAULT_SPAN_SECONDS;
    if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "must be before to" });
    else if (to - from > MAX_SPAN_DAYS[query.interval] * 86_400) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `the range may span at most ${MAX_SPAN_DAYS[query.interval]} days at interval ${query.interval}` });
    }
    return { ...query, from, to };
  })
  .meta({ id: "AnalyticsQuery" });
export type AnalyticsQuery = z.output<typeof analyticsQuerySchema>;

/** An account whose figures an answer includes. */
export type AnalyticsAccount = { id: string; name: string; parentId: string | null; payoutAddress: string };
/** An account of the scope whose on-chain figures were left out, and why. */
export type LeftOutAccount = { id: string; name: string; payoutAddress: string; reason: "payout_address_unverified" };
type ScopeAccount = AnalyticsAccount & { proven: boolean };

export type AnalyticsResult = ({ kind: "json"; body: Record<string, unknown> } | { kind: "csv"; body: string; filename: string }) & {
  /** How long the indexer took to answer, as this server saw it (a Server-Timing entry for the route). */
  indexerMs?: number;
};

type MerchantService = ReturnType<typeof createMerchantService>;

/** Orders in these statuses were paid (refunds happen after payment, so a refunded order was paid too). */
const PAID_STATUSES = ["settled", "overpaid", "paid_late", "refunded", "partially_refunded"] as const;

export function createAnalyticsService(deps: { db: AppDatabase; merchants: MerchantService; indexerUrl: string; indexerApiSecret: string }) {
  const { db } = deps;
  const indexerHeaders = { authorization: `Bearer ${deps.indexerApiSecret}` };

  /** The account and, when asked, every account below it (ids, names, payout addresses and whether each is proven). */
  async function accountsOf(merchant: typeof merchants.$inferSelect, subAccounts: "include" | "exclude"): Promise<ScopeAccount[]> {
    const depth = subAccounts === "exclude" ? 0 : MAX_HIERARCHY_DEPTH;
    const result = await db.execute(sql`
      with recursive tree(id, depth) as (
        select id, 0 from merchants where id = ${merchant.id}
        union all
        select m.id, t.depth + 1 from merchants m join tree t on m.parent_id = t.id where t.depth < ${depth}
      )
      select m.id, m.name, m.parent_id as "parentId", m.payout_address as "payoutAddress", ${provenPayoutAddress("m")} as proven
      from tree t join merchants m on m.id = t.id
      order by t.depth, m.created_at, m.id`);
    return (result as unknown as { rows: ScopeAccount[] }).rows;
  }

  /**
   * The proven payout addresses of the scope, the accounts they cover, and the accounts left out (their
   * address unproven and not proven by another account of the scope). None proven: a 422 the dashboard
   * turns into "sign to verify", and the indexer is not called at all.
   */
  function addressesOf(scope: ScopeAccount[]): { addresses: string[]; accounts: AnalyticsAccount[]; leftOut: LeftOutAccount[] } {
    const addresses = [...new Set(scope.filter((account) => account.proven).map((account) => account.payoutAddress.toLowerCase()))];
    const covered = scope.filter((account) => addresses.includes(account.payoutAddress.toLowerCase()));
    const leftOut = scope
      .filter((account) => !addresses.includes(account.payoutAddress.toLowerCase()))
      .map(({ id, name, payoutAddress }) => ({ id, name, payoutAddress, reason: "payout_address_unverified" as const }));
    if (addresses.length === 0) {
      throw unprocessable(
        "payout_address_unverified",
        "No payout address of these accounts is verified yet: sign the verification message with the payout wallet (Settings) to see its on-chain figures",
        leftOut.map((account) => ({ field: account.id, message: `payout address ${account.payoutAddress} is unverified` })),
      );
    }
    if (addresses.length > MAX_ADDRESSES) {
      throw unprocessable("too_many_addresses", `These accounts have ${addresses.length} payout addresses; analytics covers at most ${MAX_ADDRESSES} at once`);
    }
    return { addresses, accounts: covered.map(({ proven: _proven, ...account }) => account), leftOut };
  }

  async function callIndexer(metric: IndexerMetric, addresses: string[], query: AnalyticsQuery): Promise<Response> {
    const params = new URLSearchParams({ merchant: addresses.join(","), from: String(query.from), to: String(query.to), interval: query.interval, limit: String(query.limit), format: query.format });
    if (query.chainId !== undefined) params.set("chainId", String(query.chainId));
    if (query.token !== undefined) params.set("token", query.token);
    let response: Response;
    try {
      response = await fetch(`${deps.indexerUrl}/analytics/${metric}?${params}`, { headers: indexerHeaders, signal: AbortSignal.timeout(INDEXER_TIMEOUT_MS) });
    } catch (error) {
      throw new ApiError(503, "indexer_unavailable", `The analytics indexer did not answer (${(error as Error).name === "TimeoutError" ? "timed out" : "unreachable"}); try again shortly`);
    }
    if (response.status === 400) {
      // Our own validation mirrors the indexer's; a 400 from it still is the caller's input, so say what it said.
      const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
      throw badRequest(body?.error?.message ?? "The analytics query was refused");
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      // 401: this server's INDEXER_API_SECRET is not the indexer's. An operator's mistake, not the caller's.
      throw new ApiError(502, "indexer_error", `The analytics indexer failed (HTTP ${response.status})`);
    }
    return response;
  }

  /** Orders created per bucket, how many of those were paid, and the rate, over the accounts' own orders. */
  async function conversion(accounts: AnalyticsAccount[], query: AnalyticsQuery) {
    const seconds = INTERVAL_SECONDS[query.interval];
    const bucket = sql<string>`(floor(extract(epoch from ${orders.createdAt}) / ${sql.raw(String(seconds))}) * ${sql.raw(String(seconds))})::bigint::text`;
    const paid = sql`${orders.status} in (${sql.join(PAID_STATUSES.map((status) => sql`${status}`), sql`, `)})`;
    const rows = await db
      .select({
        bucketStart: bucket,
        created: sql<number>`count(*)::int`,
        paid: sql<number>`(count(*) filter (where ${paid}))::int`,
        expired: sql<number>`(count(*) filter (where ${orders.status} = 'expired'))::int`,
      })
      .from(orders)
      .where(
        and(
          inArray(orders.merchantId, accounts.map((account) => account.id)),
          gte(orders.createdAt, new Date(query.from * 1000)),
          lt(orders.createdAt, new Date(query.to * 1000)),
          query.chainId === undefined ? undefined : eq(orders.chainId, query.chainId),
          query.token === undefined ? undefined : eq(sql`lower(${orders.token})`, query.token),
        ),
      )
      .groupBy(bucket)
      .orderBy(bucket);
    const totals = rows.reduce((sum, row) => ({ created: sum.created + row.created, paid: sum.paid + row.paid, expired: sum.expired + row.expired }), { created: 0, paid: 0, expired: 0 });
    return {
      data: rows.map((row) => {
        const bucketStart = Number(row.bucketStart);
        return { bucketStart, bucketStartIso: new Date(bucketStart * 1000).toISOString(), created: row.created, paid: row.paid, expired: row.expired, conversionRate: rate(row.paid, row.created) };
      }),
      totals: { ...totals, conversionRate: rate(totals.paid, totals.created) },
    };
  }

  return {
    /**
     * One metric for an account the user holds any role on (404 otherwise, like every merchant route).
     * JSON carries the accounts it covers; CSV is the metric's rows as the indexer wrote them.
     */
    async get(userId: string, merchantId: string, metric: Metric, query: AnalyticsQuery): Promise<AnalyticsResult> {
      const { merchant } = await deps.merchants.authorize(userId, merchantId, "viewer");
      const tree = await accountsOf(merchant, query.subAccounts);
      const filename = csvFilename(merchant.name, metric, query);
      const range = {
        range: { from: query.from, to: query.to, fromIso: iso(query.from), toIso: iso(query.to), interval: query.interval },
        filters: { chainId: query.chainId ?? null, token: query.token ?? null, subAccounts: query.subAccounts, limit: query.limit },
      };
      if (metric === "conversion") {
        // The gateway's own orders of these accounts: no wallet's on-chain history, so no proof needed.
        const accounts = tree.map(({ proven: _proven, ...account }) => account);
        const result = await conversion(accounts, query);
        if (query.format === "csv") return { kind: "csv", filename, body: toCsv(result.data, ["bucketStart", "bucketStartIso", "created", "paid", "expired", "conversionRate"]) };
        return { kind: "json", body: { merchantId: merchant.id, accounts, unverifiedAccounts: [], ...range, ...result } };
      }
      const { addresses, accounts, leftOut } = addressesOf(tree);
      const scope = { merchantId: merchant.id, accounts, unverifiedAccounts: leftOut, ...range };
      const started = performance.now();
      const response = await callIndexer(metric, addresses, query);
      const text = await response.text();
      const indexerMs = performance.now() - started;
      if (query.format === "csv") return { kind: "csv", filename, body: text, indexerMs };
      const { query: _indexerQuery, ...result } = JSON.parse(text) as Record<string, unknown>;
      return { kind: "json", body: { ...scope, ...result }, indexerMs };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** `part / of` as a decimal string with four places, rounded down; "0" when nothing was created. */
function rate(part: number, of: number): string {
  return of === 0 ? "0" : formatUnits((BigInt(part) * 10_000n) / BigInt(of), 4);
}

function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  return stringify(rows, { header: true, columns });
}

function csvFilename(merchantName: string, metric: Metric, query: AnalyticsQuery): string {
  const slug = merchantName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "merchant";
  return `${slug}-${metric}-${iso(query.from).slice(0, 10)}-${iso(query.to).slice(0, 10)}.csv`;
}
