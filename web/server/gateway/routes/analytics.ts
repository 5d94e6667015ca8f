// Analytics for the dashboard (tag "analytics"; session, any role).
import { analyticsQuerySchema, METRICS, type Metric } from "../analytics/service.ts";
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error404 } from "./responses.ts";

const SUMMARIES: Record<Metric, string> = {
  revenue: "Revenue per hour or day, chain and token: payments, volume, fees, USD value at payment time, unique payers, refunds.",
  "top-payers": "The biggest payers in the range by USD value, with what each paid per token.",
  "payment-methods": "Payments per method (router, permit, native, deposit address, credit, loyalty, subscription) and token, with shares.",
  conversion: "Orders created per bucket and how many of them were paid (settled, overpaid, paid late or later refunded).",
  refunds: "Refunds newest first, and totals per chain and token.",
  "split-payouts": "Distributions of splits that pay this account, its share of each, and its withdrawals.",
  loyalty: "Loyalty points issued, redeemed and clawed back per bucket and program, and each program's totals.",
  lending: "Utilisation of every lending market, beside the orders paid to this account on credit and its own positions.",
};

const operationIdOf = (metric: Metric) => `analytics${metric.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;

export function analyticsRoutes({ analytics }: GatewayServices): Route[] {
  return METRICS.map((metric) =>
    route({
      method: "GET", path: `/api/merchants/{merchantId}/analytics/${metric}`, operationId: operationIdOf(metric),
      tag: "analytics", auth: "session", query: analyticsQuerySchema,
      summary: SUMMARIES[metric],
      responses: {
        200: { description: "Rows (`data`) with the accounts and range they cover; `format=csv` returns the rows as a CSV download" },
        400: error400, 401: error401, 404: error404,
        422: { description: "More than 100 payout addresses in the account tree, or none of its payout addresses verified (payout_address_unverified)" },
        502: { description: "The indexer failed" }, 503: { description: "The indexer did not answer" },
      },
      handler: async ({ user, params, query }) => {
        const result = await analytics.get(user.userId, params.merchantId!, metric, query);
        const timing: Record<string, string> = result.indexerMs === undefined ? {} : { "server-timing": `indexer;dur=${result.indexerMs.toFixed(1)}` };
        if (result.kind === "json") return json(result.body, 200, timing);
        return new Response(result.body, {
          headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${result.filename}"`, "cache-control": "no-store", ...timing },
        });
      },
    }),
  );
}
