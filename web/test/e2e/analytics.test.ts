// The analytics page in Chromium over the real stack (EDR chain, Ponder on PGlite, the production server):
// two payments to a fresh merchant's wallet from Node, then the merchant signs in with that wallet, creates
// the account paying out to it (its own signed-in address: proven by the session, so analytics may read
// it), opens Analytics and sees exactly those payments in
// the revenue tiles, the top payers and the method mix, with drawn charts, an empty conversion card (no
// orders), and a CSV download of the same rows.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { maxUint256, toHex, type Abi } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { TEST_INDEXER_API_SECRET } from "../../../indexer/test/api-secret.ts";
import { waitFor } from "../../../scripts/lib/processes.ts";
import { tokenAddress } from "./support/helpers.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

test("analytics: a merchant signs in and sees its payments charted, exactly, with a CSV of them", async () => {
  const stack = await e2eStack();
  const indexerUrl = await stack.startIndexer();
  const usdc = tokenAddress(stack, "USDC");
  const router = stack.deployment.contracts.PaymentRouter.address;
  const owner = privateKeyToAccount(generatePrivateKey());
  // The signed-in wallet is the payout address, so the session proves it (an address typed in for another
  // wallet would first have to be signed for in Settings before analytics read it).
  const payout = owner.address;
  // Fresh payers with gas money from the node and their own minted USDC: no dev account other tests (or the
  // server's relayer, account #0) use sees a transaction from this file.
  const [bigPayer, smallPayer] = [privateKeyToAccount(generatePrivateKey()), privateKeyToAccount(generatePrivateKey())];

  for (const [payer, amount] of [[bigPayer, 30_000_000n], [smallPayer, 12_500_000n]] as const) {
    await stack.publicClient.request({ method: "hardhat_setBalance" as never, params: [payer.address, toHex(10n ** 18n)] as never });
    await stack.send(payer, usdc, mockErc20Abi as Abi, "mint", [payer.address, amount]);
    await stack.send(payer, usdc, mockErc20Abi as Abi, "approve", [router, maxUint256]);
    await stack.send(payer, router, paymentRouterAbi as Abi, "pay", [toHex(randomBytes(32)), payout, usdc, amount]);
  }
  await waitFor("the indexer to index both payments", async () => {
    const body = (await (await fetch(`${indexerUrl}/analytics/revenue?merchant=${payout}`, { headers: { authorization: `Bearer ${TEST_INDEXER_API_SECRET}` } })).json()) as { totals: { paymentCount: number } };
    return body.totals.paymentCount === 2 ? true : undefined;
  }, 60_000);

  const { page, context } = await stack.openPage("/dashboard", owner);
  try {
    await page.getByTestId("dashboard-sign-in").click();
    const create = page.getByTestId("merchant-create");
    await create.locator('input[name="name"]').fill("Analytics Café");
    await create.locator('input[name="payoutAddress"]').fill(payout);
    await page.getByTestId("merchant-create-submit").click();
    await page.getByTestId("signed-in-address").waitFor();

    await page.getByTestId("analytics-link").click();
    await page.waitForURL(/\/dashboard\/analytics\?merchant=/);
    const revenue = page.getByTestId("analytics-revenue-body");
    await page.locator('[data-testid="analytics-revenue-body"][data-state="ready"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId("revenue-volume-usd").innerText(), "$42.50");
    assert.equal(await page.getByTestId("revenue-payment-count").innerText(), "2");
    assert.equal(await page.getByTestId("revenue-refunds-usd").innerText(), "$0.00");
    assert.equal(await revenue.locator('[data-token="USDC"] td').nth(2).innerText(), "42.5");
    // recharts drew the bars (SVG paths), not just an empty container.
    await page.locator('[data-testid="revenue-chart"] .recharts-bar-rectangle path').first().waitFor();

    await page.locator('[data-testid="analytics-top-payers-body"][data-state="ready"]').waitFor();
    const payers = page.getByTestId("payers-table").locator("tbody tr");
    assert.equal(await payers.count(), 2);
    assert.equal(await payers.nth(0).getAttribute("data-payer"), bigPayer.address.toLowerCase());
    assert.equal(await payers.nth(0).locator("td").nth(3).innerText(), "$30.00");
    assert.equal(await payers.nth(1).getAttribute("data-payer"), smallPayer.address.toLowerCase());
    assert.equal(await payers.nth(1).locator("td").nth(3).innerText(), "$12.50");
    await page.locator('[data-testid="payers-chart"] .recharts-bar-rectangle path').first().waitFor();

    await page.locator('[data-testid="analytics-payment-methods-body"][data-state="ready"]').waitFor();
    assert.match(await page.locator('[data-method="router"]').innerText(), /2 · 100\.0% · \$42\.50/);
    await page.locator('[data-testid="methods-chart"] .recharts-pie-sector').first().waitFor();

    // No orders were created for this account: conversion shows its empty state; no refunds either.
    await page.locator('[data-testid="analytics-conversion-body"][data-state="empty"]').waitFor();
    await page.locator('[data-testid="analytics-refunds-body"][data-state="empty"]').waitFor();
    await page.locator('[data-testid="analytics-lending-body"][data-state="ready"]').waitFor();
    await stack.screenshot(page, "analytics-dashboard");
    // On a phone the cards stack and nothing runs off the side of the page.
    await page.setViewportSize({ width: 390, height: 844 });
    // recharts redraws a chart at its new width from a ResizeObserver callback, a frame or more after the
    // viewport changes (CI once measured the page inside that frame, the revenue chart still 1,062 px wide).
    await page.waitForFunction(() => {
      const chart = document.querySelector('[data-testid="revenue-chart"] .recharts-wrapper');
      return chart !== null && chart.getBoundingClientRect().right <= window.innerWidth;
    }, null, { timeout: 10_000 });
    await page.locator('[data-testid="revenue-chart"] .recharts-bar-rectangle path').first().waitFor();
    // Wide tables scroll inside their cards; the page itself must not scroll sideways.
    const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((element) => element.getBoundingClientRect().right > 391 && ![...element.children].some((child) => child.getBoundingClientRect().right > 391))
        .slice(0, 5)
        .map((element) => `${element.tagName.toLowerCase()}.${element.className}`),
    );
    assert.ok(pageWidth <= 390, `the page is ${pageWidth} px wide at 390 px; widest: ${overflowing.join(", ")}`);
    await stack.screenshot(page, "analytics-dashboard-mobile");
    await page.setViewportSize({ width: 1280, height: 900 });

    // The CSV link downloads the same rows with the session of the page.
    const href = await page.getByTestId("analytics-top-payers-csv").getAttribute("href");
    assert.ok(href?.includes("format=csv"));
    const csv = await page.request.get(new URL(href!, stack.baseUrl).toString());
    assert.equal(csv.status(), 200);
    const lines = (await csv.text()).trim().split("\n");
    assert.equal(lines[0], "rank,payer,paymentCount,volumeUsd,unpricedCount,volumes");
    assert.deepEqual(lines.slice(1).map((line) => line.split(",").slice(0, 4).join(",")), [`1,${bigPayer.address.toLowerCase()},1,30`, `2,${smallPayer.address.toLowerCase()},1,12.5`]);

    // Hourly buckets: the axis turns to hours, the totals stay.
    await page.getByTestId("analytics-interval").selectOption("hour");
    await page.locator('[data-testid="revenue-chart"] .recharts-cartesian-axis-tick-value', { hasText: ":00" }).first().waitFor();
    await page.locator('[data-testid="analytics-revenue-body"][data-state="ready"]').waitFor();
    assert.equal(await page.getByTestId("revenue-volume-usd").innerText(), "$42.50");
  } catch (error) {
    await stack.screenshot(page, "analytics-dashboard-failure");
    const states = await page.locator('[data-testid$="-body"]').evaluateAll((nodes) => nodes.map((n) => `${n.getAttribute("data-testid")}=${n.getAttribute("data-state")}: ${n.textContent?.slice(0, 200)}`));
    throw new Error(`${(error as Error).message}\n${states.join("\n")}`);
  } finally {
    await context.close();
  }
});
