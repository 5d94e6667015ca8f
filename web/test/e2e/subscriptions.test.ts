import assert from "node:assert/strict";
import { after, test } from "node:test";
import { mockErc20Abi, subscriptionsAbi } from "@coinpays/sdk/contracts";
import type { Abi } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { balanceOf, tokenAddress, waitForConfirmed } from "./support/helpers.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

test("subscriptions: a merchant creates a plan, a subscriber signs up in the browser, a keeper charges two periods across time travel", async () => {
  const stack = await e2eStack();
  const subscriptions = stack.deployment.contracts.Subscriptions.address;
  const usdc = tokenAddress(stack, "USDC");
  const [merchant, subscriber, keeper] = [devAccount(17), devAccount(18), devAccount(19)];
  const read = <T,>(fn: string, args: readonly unknown[]) => stack.read<T>(subscriptions, subscriptionsAbi as Abi, fn, args);

  // Merchant: 9.99 USDC a day.
  const planId = await read<bigint>("nextPlanId", []);
  const merchantPage = await stack.openPage("/subscriptions", merchant);
  const form = merchantPage.page.getByTestId("plan-create");
  await form.locator('select[aria-label="Token"]').selectOption({ label: "USDC" });
  await form.locator('input[name="planAmount"]').fill("9.99");
  await form.locator('input[name="planPeriod"]').fill("1");
  await merchantPage.page.getByTestId("plan-submit").click();
  await waitForConfirmed(form, "Create plan");
  await merchantPage.page.getByTestId(`plan-${planId}`).filter({ hasText: "9.99 USDC every day" }).waitFor();
  const plan = await read<{ amount: bigint; period: number; merchant: string }>("getPlan", [planId]);
  assert.equal(plan.amount, 9_990_000n);
  assert.equal(plan.period, 86_400);

  // Subscriber: opens the plan's link, authorises 3 periods and subscribes.
  const subscriptionId = await read<bigint>("nextSubscriptionId", []);
  const { page, context } = await stack.openPage(`/subscriptions?plan=${planId}`, subscriber);
  await page.getByTestId("plan-summary").filter({ hasText: "9.99 USDC every day" }).waitFor();
  await page.locator('input[name="periods"]').fill("3");
  await page.getByTestId("subscribe-button").click();
  const box = page.getByTestId("subscribe");
  await waitForConfirmed(box, "Approve USDC");
  await waitForConfirmed(box, `Subscribe to plan #${planId}`);
  await page.getByTestId(`subscription-${subscriptionId}`).and(page.locator('[data-status="Active"]')).waitFor();
  await stack.screenshot(page, "subscriptions-1-subscribed");

  // The keeper charges period 0 now, and period 1 a day later; a second charge inside a period is refused.
  const subscriberBefore = await balanceOf(stack, usdc, subscriber.address);
  const merchantBefore = await balanceOf(stack, usdc, merchant.address);
  await stack.send(keeper, subscriptions, subscriptionsAbi as Abi, "charge", [subscriptionId]);
  await assert.rejects(stack.send(keeper, subscriptions, subscriptionsAbi as Abi, "charge", [subscriptionId]), /AlreadyCharged/);
  await stack.timeTravel(86_400);
  await stack.send(keeper, subscriptions, subscriptionsAbi as Abi, "charge", [subscriptionId]);

  assert.equal(await balanceOf(stack, usdc, subscriber.address), subscriberBefore - 2n * 9_990_000n);
  const merchantGot = (await balanceOf(stack, usdc, merchant.address)) - merchantBefore;
  assert.ok(merchantGot >= (2n * 9_990_000n * 99n) / 100n && merchantGot < 2n * 9_990_000n, `merchant received ${merchantGot}`);
  assert.equal((await read<{ nextPeriod: number }>("getSubscription", [subscriptionId])).nextPeriod, 2);

  // The merchant's subscribers list shows two charged periods, then the merchant cancels.
  const list = merchantPage.page.getByTestId(`subscription-${subscriptionId}`);
  await merchantPage.page.reload();
  await list.and(merchantPage.page.locator('[data-charged="2"][data-status="Active"]')).waitFor();
  await stack.screenshot(merchantPage.page, "subscriptions-2-merchant-two-charges");
  await merchantPage.page.getByTestId(`subscription-${subscriptionId}-cancel`).click();
  await waitForConfirmed(list, `Cancel subscription #${subscriptionId}`);
  await list.and(merchantPage.page.locator('[data-status="Cancelled"]')).waitFor();
  assert.equal((await read<{ status: number }>("getSubscription", [subscriptionId])).status, 3);
  await stack.screenshot(merchantPage.page, "subscriptions-3-cancelled");
  await context.close();
  await merchantPage.context.close();
});

test("subscriptions through the gateway: a subscriber signs EIP-712 terms (relayed), the server's keeper charges two periods, the dashboard lists them", async () => {
  const stack = await e2eStack();
  const subscriptions = stack.deployment.contracts.Subscriptions.address;
  const usdc = tokenAddress(stack, "USDC");
  const read = <T,>(fn: string, args: readonly unknown[]) => stack.read<T>(subscriptions, subscriptionsAbi as Abi, fn, args);
  // Fresh wallets (the dev accounts belong to the other e2e tests), funded from Node.
  const [merchant, subscriber] = [privateKeyToAccount(generatePrivateKey()), privateKeyToAccount(generatePrivateKey())];
  for (const account of [merchant, subscriber]) {
    await stack.publicClient.request({ method: "hardhat_setBalance" as never, params: [account.address, "0x56BC75E2D63100000"] as never });
  }
  await stack.send(devAccount(0), usdc, mockErc20Abi as Abi, "mint", [subscriber.address, 100_000_000n]);

  // The merchant opens a CoinPays account paid to its wallet, then creates a plan from that wallet.
  const dash = await stack.openPage("/dashboard", merchant);
  await dash.page.getByTestId("dashboard-sign-in").click();
  await dash.page.getByTestId("merchant-create").locator('input[name="name"]').fill("Daily Paper");
  await dash.page.getByTestId("merchant-create-submit").click();
  await dash.page.getByTestId("signed-in-address").waitFor();
  const planId = await read<bigint>("nextPlanId", []);
  const plans = await stack.openPage("/subscriptions", merchant);
  const form = plans.page.getByTestId("plan-create");
  await form.locator('select[aria-label="Token"]').selectOption({ label: "USDC" });
  await form.locator('input[name="planAmount"]').fill("4.5");
  await form.locator('input[name="planPeriod"]').fill("1");
  await plans.page.getByTestId("plan-submit").click();
  await waitForConfirmed(form, "Create plan");

  // The subscriber signs the terms; the gateway submits them. Only the allowance is a transaction.
  const subscriptionId = await read<bigint>("nextSubscriptionId", []);
  const { page, wallet, context } = await stack.openPage(`/subscriptions?plan=${planId}`, subscriber);
  await page.getByTestId("plan-summary").filter({ hasText: "4.5 USDC every day" }).waitFor();
  await page.locator('input[name="periods"]').fill("2");
  await page.getByTestId("auth-mode-signed").check();
  await page.getByTestId("subscribe-signed-button").click();
  const box = page.getByTestId("subscribe");
  await waitForConfirmed(box, "Approve USDC");
  await waitForConfirmed(box, `Subscribe to plan #${planId} by signed terms`);
  assert.ok(wallet.requests.some((request) => request.method === "eth_signTypedData_v4"), "the terms were signed in the wallet");
  const created = await read<{ subscriber: string; planId: bigint }>("getSubscription", [subscriptionId]);
  assert.equal(created.subscriber, subscriber.address);
  assert.equal(created.planId, planId);
  await page.getByTestId(`subscription-${subscriptionId}`).waitFor();
  await stack.screenshot(page, "subscriptions-4-signed-terms");

  // Nobody sends a charge by hand: the server's keeper charges period 0 now and period 1 after a day.
  const charged = async (periods: number) => {
    const deadline = Date.now() + 20_000;
    while ((await read<{ nextPeriod: number }>("getSubscription", [subscriptionId])).nextPeriod < periods) {
      if (Date.now() > deadline) throw new Error(`the keeper did not charge period ${periods - 1}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  await charged(1);
  await stack.timeTravel(86_400);
  await charged(2);
  assert.equal(await balanceOf(stack, usdc, subscriber.address), 100_000_000n - 9_000_000n);

  // The dashboard's Subscriptions section: the subscriber, Active, two charges, each a settled order.
  await dash.page.getByTestId("tab-subscriptions").click();
  const row = dash.page.getByTestId(`dashboard-subscription-${subscriptionId}`);
  await row.and(dash.page.locator('[data-status="active"][data-charges="2"]')).waitFor({ timeout: 20_000 });
  assert.match(await row.innerText(), /4\.5 USDC every day · 2 periods charged · 9 USDC in total/);
  await stack.screenshot(dash.page, "subscriptions-5-dashboard");
  await dash.page.getByTestId("tab-orders").click();
  await dash.page.locator('[data-testid^="order-row-"][data-status="settled"]').nth(1).waitFor();

  // The subscriber cancels; the dashboard shows it.
  await page.getByTestId(`subscription-${subscriptionId}-cancel`).click();
  await waitForConfirmed(page.getByTestId(`subscription-${subscriptionId}`), `Cancel subscription #${subscriptionId}`);
  await dash.page.getByTestId("tab-subscriptions").click();
  await row.and(dash.page.locator('[data-status="cancelled"]')).waitFor({ timeout: 20_000 });
  await context.close();
  await plans.context.close();
  await dash.context.close();
});
