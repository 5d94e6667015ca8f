// The payment gateway end to end in Chromium: a merchant signs in on /dashboard with the injected
// test wallet (SIWE), creates a POS-scoped API key for the till and registers a webhook endpoint in
// the UI; an order is created through the SDK with that key (which cannot refund nor read other
// orders); the till (/pos) watches it; a payer pays it on the checkout page with their wallet
// (approve + PaymentRouter.pay); the till turns to "Paid" over the WebSocket, the webhook receiver
// gets the signed order.settled event; the dashboard (live over its session's /ws stream) refunds
// part of it from the merchant's wallet through the router and redelivers the webhook.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { CoinPaysApiError, createCoinPaysClient } from "@coinpays/sdk";
import { erc20Abi, type LocalAccount } from "viem";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { verifySignature } from "../../server/gateway/webhooks/signature.ts";
import { startReceiver } from "../gateway/support/webhook-receiver.ts";
import { apiOrder, balanceOf, merchantApiKey, tokenAddress, waitForConfirmed } from "./support/helpers.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeout = 20_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("gateway: dashboard sign-in, POS key and webhook in the UI, order via the SDK, paid on checkout, POS turns to Paid, webhook received, refunded and redelivered from the dashboard", async () => {
  const stack = await e2eStack();
  const receiver = await startReceiver();
  try {
  const [merchant, payer] = [devAccount(11), devAccount(12)];
  const usdc = tokenAddress(stack, "USDC");

  // ── Dashboard: sign in with the wallet, create the merchant, an API key and a webhook endpoint ──
  const dash = await stack.openPage("/dashboard", merchant);
  await dash.page.getByTestId("dashboard-sign-in").click();
  const create = dash.page.getByTestId("merchant-create");
  await create.locator('input[name="name"]').fill("Corner Café");
  assert.equal(await create.locator('input[name="payoutAddress"]').inputValue(), merchant.address);
  await dash.page.getByTestId("merchant-create-submit").click();
  await dash.page.getByTestId("signed-in-address").waitFor();
  assert.ok(dash.wallet.requests.some((r) => r.method === "personal_sign"), "the dashboard signed in through the wallet");

  await dash.page.getByTestId("tab-keys").click();
  await dash.page.locator('input[name="keyName"]').fill("Till 1");
  await dash.page.locator('select[name="keyScope"]').selectOption("pos");
  await dash.page.getByTestId("api-key-create").click();
  const apiKey = (await dash.page.getByTestId("api-key-secret").innerText()).trim();
  assert.match(apiKey, /^cp_/);
  await dash.page.getByTestId("api-keys").getByText("POS till", { exact: true }).waitFor();

  await dash.page.getByTestId("tab-webhooks").click();
  await dash.page.locator('input[name="webhookUrl"]').fill(receiver.url);
  await dash.page.getByTestId("webhook-create").click();
  const webhookSecret = (await dash.page.getByTestId("webhook-secret").innerText()).trim();
  assert.match(webhookSecret, /^whsec_/);
  // Test-send from the dashboard: the receiver gets a signed webhook.test, and the endpoint's log shows its 200.
  await dash.page.locator('[data-testid^="webhook-test-"]').click();
  await dash.page.locator('[data-testid="endpoint-delivery"][data-type="webhook.test"][data-succeeded="true"]').waitFor({ timeout: 15_000 });
  assert.ok(receiver.requests.some((r) => r.headers["coinpays-event-type"] === "webhook.test"));

  // ── An order through the SDK with that key (same Idempotency-Key: a retry returns the same order) ──
  const client = createCoinPaysClient({ baseUrl: stack.baseUrl, apiKey });
  const input = { amount: "12.5", token: "USDC", chainId: 31337, reference: "e2e-1", redirectUrl: "https://shop.example/thanks" };
  const order = await client.orders.create(input, { idempotencyKey: "e2e-order-1" });
  assert.equal(order.status, "new");
  assert.equal(order.amount.baseUnits, "12500000");
  assert.equal((await client.orders.create(input, { idempotencyKey: "e2e-order-1" })).id, order.id);
  // The till's key sits in a browser: it can neither refund nor list anything but its own sales.
  const refused = await client.orders.refund(order.id, { kind: "claim_link" }).then(() => undefined, (error: unknown) => error);
  assert.ok(refused instanceof CoinPaysApiError && refused.status === 403 && refused.code === "insufficient_scope", `refund with a POS key: ${String(refused)}`);

  // ── The till: API key entered once in settings, then watching the order ──
  const pos = await stack.openPage("/pos", merchant);
  await pos.page.locator('input[name="apiKey"]').fill(apiKey);
  await pos.page.getByTestId("pos-save").click();
  await pos.page.goto(new URL(`/pos?order=${order.id}`, stack.baseUrl).toString());
  await pos.page.locator(`[data-testid="pos-order"][data-order-id="${order.id}"]`).waitFor();
  await pos.page.getByTestId("pos-order-amount").filter({ hasText: "12.5 USDC" }).waitFor();
  await pos.page.getByTestId("pos-status").filter({ hasText: "Awaiting payment" }).waitFor();
  await pos.page.locator('[data-testid="pos-qr"]').evaluate((img: HTMLImageElement) => img.complete || new Promise((r) => (img.onload = r)));
  await stack.screenshot(pos.page, "gateway-pos-1-awaiting");

  // ── Checkout: server-rendered, then paid from the payer's wallet ──
  const checkout = await stack.openPage(`/pay/${order.id}`, payer);
  const view = checkout.page.getByTestId("checkout");
  await checkout.page.locator('[data-testid="checkout"][data-status="new"]').waitFor();
  await checkout.page.getByTestId("checkout-amount").filter({ hasText: "12.5" }).waitFor();
  await checkout.page.getByTestId("checkout-countdown").filter({ hasText: /expires in \d\d:\d\d/ }).waitFor();
  await checkout.page.getByTestId("live-connection").and(checkout.page.locator('[data-state="live"]')).waitFor();
  await checkout.page.locator('[data-testid="checkout-qr"]').evaluate((img: HTMLImageElement) => img.complete || new Promise((r) => (img.onload = r)));
  await stack.screenshot(checkout.page, "gateway-checkout-1-new");
  const payerBefore = await balanceOf(stack, usdc, payer.address);

  await checkout.page.getByTestId("checkout-pay-button").click();
  await waitForConfirmed(view, "Approve USDC");
  await waitForConfirmed(view, "Pay 12.5 USDC");
  assert.equal(await balanceOf(stack, usdc, payer.address), payerBefore - 12_500_000n);

  // Live: the checkout shows the receipt, the till turns to Paid, both over the WebSocket.
  await checkout.page.locator('[data-testid="checkout"][data-status="settled"]').waitFor({ timeout: 20_000 });
  await checkout.page.getByTestId("receipt-amount").filter({ hasText: "12.5 USDC" }).waitFor();
  await checkout.page.getByTestId("receipt-tx").filter({ hasText: checkout.wallet.transactions.at(-1)! }).waitFor();
  assert.equal(await checkout.page.getByTestId("receipt-redirect").getAttribute("href"), "https://shop.example/thanks");
  await stack.screenshot(checkout.page, "gateway-checkout-2-paid");

  await pos.page.locator(`[data-testid="pos-paid"][data-order-id="${order.id}"]`).waitFor({ timeout: 20_000 });
  await stack.screenshot(pos.page, "gateway-pos-2-paid");

  // ── The webhook registered in the dashboard received the signed order.settled event ──
  const settled = await waitFor("order.settled webhook", () =>
    receiver.requests.find((r) => {
      const body = JSON.parse(r.body) as { type?: string; data?: { order?: { id?: string }; orderId?: string } };
      return body.type === "order.settled" && JSON.stringify(body.data).includes(order.id);
    }),
  );
  const signature = settled.headers["coinpays-signature"];
  assert.ok(typeof signature === "string" && verifySignature({ secret: webhookSecret, header: signature, body: settled.body }), "webhook signature verifies with the secret shown in the dashboard");

  // ── The dashboard's order list shows it settled, and its detail lists the delivery ──
  await dash.page.getByTestId("tab-orders").click();
  const row = dash.page.getByTestId(`order-row-${order.id}`);
  await row.and(dash.page.locator('[data-status="settled"]')).waitFor();
  await row.click();
  await dash.page.locator('[data-testid="order-event"][data-type="order.settled"] [data-testid="delivery"][data-succeeded="true"]').waitFor();
  await dash.page.locator('[data-testid="orders-live"][data-live="true"]').waitFor();

  // ── Redeliver the order.settled webhook from the order detail: the same event id arrives again ──
  const settledDeliveries = () => receiver.requests.filter((r) => r.eventId === settled.eventId).length;
  const deliveredBefore = settledDeliveries();
  await dash.page.locator('[data-testid="order-event"][data-type="order.settled"]').getByTestId("redeliver").click();
  await dash.page.getByTestId("redeliver-message").filter({ hasText: "Redelivery queued" }).waitFor();
  await waitFor("redelivered webhook", () => (settledDeliveries() > deliveredBefore ? true : undefined));
  await dash.page.locator('[data-testid="order-event"][data-type="order.settled"] [data-testid="delivery"][data-attempt="2"]').waitFor();

  // ── Refund 2.5 USDC to the payer from the merchant's wallet, through the PaymentRouter ──
  const detail = dash.page.getByTestId("order-detail");
  const payerBeforeRefund = await balanceOf(stack, usdc, payer.address);
  await detail.locator('input[name="refundAmount"]').fill("2.5");
  await detail.getByTestId("refund-start").click();
  await waitForConfirmed(detail, "Approve USDC");
  await waitForConfirmed(detail, "Refund 2.5 USDC");
  await detail.locator('[data-testid="refund"][data-status="completed"]').waitFor();
  await detail.getByTestId("order-detail-refunded").filter({ hasText: "2.5 USDC" }).waitFor();
  await row.and(dash.page.locator('[data-status="partially_refunded"]')).waitFor();
  assert.equal(await balanceOf(stack, usdc, payer.address), payerBeforeRefund + 2_500_000n);
  await dash.page.locator('[data-testid="order-event"][data-type="refund.completed"]').waitFor();
  await stack.screenshot(dash.page, "gateway-dashboard-order");

  // ── A claim link for 1 USDC: the payer opens it and names an address, the merchant's wallet sends it ──
  await detail.locator('input[name="refundAmount"]').fill("1");
  await detail.getByTestId("refund-claim-link").click();
  const claimUrl = (await detail.getByTestId("refund-claim-url").innerText()).trim();
  assert.match(claimUrl, /\/refunds\/claim\/[A-Za-z0-9_-]{43}$/);
  const refundTo = devAccount(15).address;
  const refundToBefore = await balanceOf(stack, usdc, refundTo);
  await checkout.page.goto(claimUrl);
  const claimPage = checkout.page.getByTestId("refund-claim");
  await claimPage.getByTestId("claim-amount").filter({ hasText: "1 USDC" }).waitFor();
  await claimPage.locator('input[name="toAddress"]').fill(refundTo);
  await claimPage.getByTestId("claim-submit").click();
  await checkout.page.locator('[data-testid="refund-claim"][data-status="pending"]').waitFor();
  await stack.screenshot(checkout.page, "gateway-refund-claimed");
  // The dashboard hears refund.claimed on its stream and offers to send it.
  await detail.getByTestId("refund-send").click();
  await waitForConfirmed(detail, "Refund 1 USDC");
  await detail.locator('[data-testid="refund"][data-status="completed"]').nth(1).waitFor();
  await detail.getByTestId("order-detail-refunded").filter({ hasText: "3.5 USDC" }).waitFor();
  assert.equal(await balanceOf(stack, usdc, refundTo), refundToBefore + 1_000_000n);
  await checkout.page.locator('[data-testid="refund-claim"][data-status="completed"]').waitFor({ timeout: 15_000 });

  // ── A sale keyed on the till itself: keypad, 15 % tip, new order over the API ──
  await pos.page.getByTestId("pos-new-sale").click();
  for (const key of ["8", "dot", "4", "0"]) await pos.page.getByTestId(`pos-key-${key}`).click();
  await pos.page.getByTestId("pos-display").filter({ hasText: "8.40" }).waitFor();
  await pos.page.getByTestId("pos-charge").click();
  await pos.page.getByTestId("pos-tip-15").click();
  await pos.page.getByTestId("pos-order").or(pos.page.getByTestId("pos-error")).first().waitFor();
  if (await pos.page.getByTestId("pos-error").count()) throw new Error(`till: ${await pos.page.getByTestId("pos-error").innerText()}`);
  await pos.page.getByTestId("pos-order-amount").filter({ hasText: "9.66 USDC" }).waitFor();
  const tillOrderId = await pos.page.getByTestId("pos-order").getAttribute("data-order-id");
  assert.match(tillOrderId ?? "", /^ord_/);
  await stack.screenshot(pos.page, "gateway-pos-3-keypad-sale");

  for (const opened of [dash, pos, checkout]) await opened.context.close();
  } finally {
    await receiver.close();
  }
});

test("checkout: a partial transfer to the deposit address shows what is left, the wallet pays the rest; a cancelled order says so", async () => {
  const stack = await e2eStack();
  const [merchant, payer] = [devAccount(13), devAccount(14)];
  const usdc = tokenAddress(stack, "USDC");
  const apiKey = await merchantApiKey(stack, merchant, "Partial Payments Ltd");

  const order = await apiOrder(stack.baseUrl, apiKey, { amount: "12.5", token: "USDC", chainId: 31337 });
  const { page, context } = await stack.openPage(`/pay/${order.id}`, payer);
  await page.getByTestId("live-connection").and(page.locator('[data-state="live"]')).waitFor();
  assert.equal(await page.getByTestId("deposit-address").innerText(), order.depositAddress);

  // 10 of 12.5 USDC sent straight to the deposit address (as from a wallet that scanned the QR).
  await stack.send(payer, usdc, erc20Abi, "transfer", [order.depositAddress, 10_000_000n]);
  await page.locator('[data-testid="checkout"][data-status="underpaid"]').waitFor({ timeout: 20_000 });
  await page.getByTestId("checkout-message").filter({ hasText: "Partially paid: 2.5 USDC still due." }).waitFor();
  await page.getByTestId("checkout-due").filter({ hasText: "Received 10 USDC of 12.5 USDC" }).waitFor();
  await stack.screenshot(page, "gateway-checkout-3-underpaid");

  // The wallet pays exactly what is left through the router.
  await page.getByTestId("checkout-pay-button").filter({ hasText: "Pay 2.5 USDC" }).click();
  await waitForConfirmed(page.getByTestId("checkout"), "Pay 2.5 USDC");
  await page.locator('[data-testid="checkout"][data-status="settled"]').waitFor({ timeout: 20_000 });
  await page.getByTestId("receipt-amount").filter({ hasText: "12.5 USDC" }).waitFor();
  await page.getByTestId("receipt-tx").nth(1).waitFor(); // both payments: the transfer and the router payment
  assert.equal(await page.getByTestId("receipt-tx").count(), 2);
  assert.equal(await page.getByTestId("receipt-redirect").count(), 0);

  // Cancelled before payment: the checkout says so and offers no way to pay.
  const cancelled = await apiOrder(stack.baseUrl, apiKey, { amount: "1", token: "USDC", chainId: 31337 });
  await apiOrder(stack.baseUrl, apiKey, {}, `/api/v1/orders/${cancelled.id}/cancel`);
  await page.goto(new URL(`/pay/${cancelled.id}`, stack.baseUrl).toString());
  await page.locator('[data-testid="checkout"][data-status="cancelled"]').waitFor();
  await page.getByTestId("checkout-message").filter({ hasText: "The merchant cancelled this order." }).waitFor();
  assert.equal(await page.getByTestId("checkout-pay").count(), 0);

  // An unknown id is a friendly page, not an error.
  await page.goto(new URL("/pay/ord_0000000000000000000000", stack.baseUrl).toString());
  await page.getByTestId("checkout-not-found").waitFor();
  await context.close();
});
