import assert from "node:assert/strict";
import { after, test } from "node:test";
import { subscriptionsAbi } from "@coinpays/sdk/contracts";
import type { Abi } from "viem";
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
