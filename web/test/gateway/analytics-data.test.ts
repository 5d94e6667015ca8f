// The analytics page's arithmetic (components/gateway/analytics/analytics-data.ts) on its own: USD and token
// sums stay exact through bigints, display rounding, preset ranges in whole buckets, and gap-free series.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyticsUrl, bucketStarts, formatUsd, presetRange, revenueByToken, revenueSeries, type RevenueRow } from "../../components/gateway/analytics/analytics-data.ts";

const DAY = 86_400;
const row = (bucketStart: number, token: string, volume: string, volumeUsd: string, extra: Partial<RevenueRow> = {}): RevenueRow => ({
  bucketStart, chainId: 31337, token, paymentCount: 1, volume, merchantAmount: volume, fees: "0", volumeUsd, unpricedCount: 0, uniquePayers: 1, refundCount: 0, refundVolume: "0", refundVolumeUsd: "0", ...extra,
});

describe("analytics page data", () => {
  it("formats USD to cents, rounding half up, with thousands separators", () => {
    assert.equal(formatUsd("0"), "$0.00");
    assert.equal(formatUsd("42.5"), "$42.50");
    assert.equal(formatUsd("1234567.994"), "$1,234,567.99");
    assert.equal(formatUsd("0.005"), "$0.01");
    assert.equal(formatUsd("2.9994"), "$3.00");
  });

  it("adds USD of several tokens per bucket exactly (0.1 + 0.2 is 0.3 here) and fills empty buckets", () => {
    const range = { from: 10 * DAY, to: 13 * DAY, interval: "day" as const };
    const series = revenueSeries([row(10 * DAY, "0xa", "100000", "0.1"), row(10 * DAY, "0xb", "200000", "0.2"), row(12 * DAY, "0xa", "5", "0.00000005", { refundVolumeUsd: "0.00000001" })], range);
    assert.deepEqual(series.map((p) => [p.bucket, p.payments, p.volumeUsd, p.refundsUsd]), [
      ["1970-01-11", 2, "0.3", "0"],
      ["1970-01-12", 0, "0", "0"],
      ["1970-01-13", 1, "0.00000005", "0.00000001"],
    ]);
  });

  it("sums base units per token without losing digits", () => {
    const big = "123456789012345678901234567890";
    const [first, second] = revenueByToken([row(0, "0xeth", big, "10"), row(DAY, "0xeth", big, "10"), row(0, "0xusdc", "1", "1")]);
    assert.equal(first!.token, "0xeth");
    assert.equal(first!.volume, 2n * BigInt(big));
    assert.equal(second!.volume, 1n);
  });

  it("a preset covers whole buckets and ends past now by a margin for chain clocks that run ahead", () => {
    const now = 100 * DAY + 3_000; // 00:50 UTC
    assert.deepEqual(presetRange(30 * DAY, "day", now), { from: 71 * DAY, to: 101 * DAY, interval: "day" });
    const hourly = presetRange(DAY, "hour", now);
    assert.equal(hourly.to, 100 * DAY + 2 * 3_600); // 00:50 + 15 min margin → the bucket ending 02:00
    assert.equal(hourly.to - hourly.from, DAY);
    assert.equal(bucketStarts(hourly).length, 24);
  });

  it("builds the route URL from the scope, range and filters only", () => {
    assert.equal(
      analyticsUrl({ merchantId: "m1", subAccounts: "include" }, "top-payers", { from: 1, to: 2, interval: "hour" }, { token: "0xabc" }, { limit: "10", format: "csv" }),
      "/api/merchants/m1/analytics/top-payers?from=1&to=2&interval=hour&subAccounts=include&limit=10&format=csv&token=0xabc",
    );
  });
});
