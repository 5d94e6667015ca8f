/**
 * Query-string parsing for the analytics API: every endpoint is scoped to one merchant (one or more of
 * its payout addresses), so a request without `merchant` is refused rather than answered for everyone.
 */
import { isAddress, type Address } from "viem";

export class BadRequest extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Interval = "hour" | "day";
export const INTERVAL_SECONDS: Record<Interval, bigint> = { hour: 3_600n, day: 86_400n };

/** A merchant's account and sub-accounts can each have a payout address; a dashboard asks for all of them. */
const MAX_MERCHANT_ADDRESSES = 100;
const MAX_SPAN_SECONDS: Record<Interval, bigint> = { hour: 93n * 86_400n, day: 3_660n * 86_400n };
const DEFAULT_SPAN_SECONDS = 30n * 86_400n;

export interface AnalyticsQuery {
  merchants: Address[];
  from: bigint;
  to: bigint;
  chainId: number | undefined;
  token: Address | undefined;
  interval: Interval;
  limit: number;
  format: "json" | "csv";
}

function parseTime(name: string, value: string): bigint {
  if (/^\d{1,12}$/.test(value)) return BigInt(value);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new BadRequest("invalid_time", `${name} must be unix seconds or an ISO 8601 time`);
  return BigInt(Math.floor(ms / 1000));
}

export function parseAnalyticsQuery(query: Record<string, string | undefined>, now = BigInt(Math.floor(Date.now() / 1000))): AnalyticsQuery {
  const merchantParam = query.merchant?.trim();
  if (!merchantParam) throw new BadRequest("merchant_required", "merchant is required: one or more payout addresses, comma-separated");
  const merchants = [...new Set(merchantParam.split(",").map((m) => m.trim()))];
  if (merchants.length > MAX_MERCHANT_ADDRESSES) throw new BadRequest("too_many_merchants", `at most ${MAX_MERCHANT_ADDRESSES} merchant addresses`);
  for (const merchant of merchants) {
    if (!isAddress(merchant, { strict: false })) throw new BadRequest("invalid_address", `merchant ${JSON.stringify(merchant.slice(0, 64))} is not an address`);
  }

  const interval = (query.interval ?? "day") as Interval;
  if (interval !== "hour" && interval !== "day") throw new BadRequest("invalid_interval", "interval must be hour or day");

  const to = query.to ? parseTime("to", query.to) : now;
  const from = query.from ? parseTime("from", query.from) : to - DEFAULT_SPAN_SECONDS;
  if (from >= to) throw new BadRequest("invalid_range", "from must be before to");
  if (to - from > MAX_SPAN_SECONDS[interval]) throw new BadRequest("range_too_long", `the range may span at most ${MAX_SPAN_SECONDS[interval] / 86_400n} days at interval ${interval}`);

  let chainId: number | undefined;
  if (query.chainId !== undefined) {
    chainId = Number(query.chainId);
    if (!/^\d{1,10}$/.test(query.chainId) || !Number.isSafeInteger(chainId) || chainId < 1) throw new BadRequest("invalid_chain", "chainId must be a positive integer");
  }
  let token: Address | undefined;
  if (query.token !== undefined) {
    if (!isAddress(query.token, { strict: false })) throw new BadRequest("invalid_token", "token must be an address (the zero address for native coin)");
    token = query.token.toLowerCase() as Address;
  }

  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!/^\d{1,3}$/.test(query.limit ?? "20") || !Number.isInteger(limit) || limit < 1 || limit > 500) throw new BadRequest("invalid_limit", "limit must be an integer from 1 to 500");

  const format = query.format ?? "json";
  if (format !== "json" && format !== "csv") throw new BadRequest("invalid_format", "format must be json or csv");

  return { merchants: merchants.map((m) => m.toLowerCase() as Address), from, to, chainId, token, interval, limit, format };
}
