import assert from "node:assert/strict";
import { after, test } from "node:test";
import { loyaltyProgramFactoryAbi, loyaltyTokenAbi } from "@coinpays/sdk/contracts";
import type { Abi, Address } from "viem";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { balanceOf, tokenAddress, waitForConfirmed } from "./support/helpers.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

test("loyalty: a merchant sets up a program, a payer earns points on one payment and redeems them on the next, the merchant refunds the first and the points are clawed back", async () => {
  const stack = await e2eStack();
  const factory = stack.deployment.contracts.LoyaltyProgramFactory.address;
  const usdc = tokenAddress(stack, "USDC");
  const [merchant, payer] = [devAccount(15), devAccount(16)];

  // Merchant: create the program (5% back in points on USDC payments).
  const { page, wallet, context } = await stack.openPage("/loyalty", merchant);
  await page.getByTestId("tab-merchant").click();
  const setup = page.getByTestId("loyalty-setup");
  await setup.locator('input[name="programName"]').fill("Corner Café Points");
  await setup.locator('input[name="programSymbol"]').fill("CAFE");
  await setup.locator('select[aria-label="Program asset"]').selectOption({ label: "USDC" });
  await setup.locator('input[name="rewardBps"]').fill("500");
  await page.getByTestId("loyalty-create").click();
  // On success the setup form gives way to the program card, which keeps the confirmation.
  await waitForConfirmed(page.getByTestId("loyalty-program"), "Create loyalty program");
  await page.getByTestId("loyalty-rate").filter({ hasText: "500 bps" }).waitFor();
  const program = await stack.read<Address>(factory, loyaltyProgramFactoryAbi as Abi, "programOf", [merchant.address]);
  assert.equal((await page.getByTestId("loyalty-program-address").getAttribute("data-address"))?.toLowerCase(), program.toLowerCase());
  await stack.screenshot(page, "loyalty-1-program");

  // Payer: pay 40 USDC, earn 2 CAFE.
  await wallet.switchAccount(payer);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${payer.address}"]`)).waitFor();
  await page.getByTestId("tab-pay").click();
  const checkout = page.getByTestId("loyalty-pay");
  const payerUsdc = await balanceOf(stack, usdc, payer.address);
  const merchantUsdc = await balanceOf(stack, usdc, merchant.address);
  await checkout.locator('input[name="merchant"]').fill(merchant.address);
  await checkout.locator('input[name="amount"]').fill("40");
  await page.getByTestId("loyalty-summary").filter({ hasText: "you earn 2 CAFE" }).waitFor();
  await page.getByTestId("loyalty-pay-button").click();
  await waitForConfirmed(checkout, "Approve USDC");
  await waitForConfirmed(checkout, "Pay 40 USDC");
  await page.getByTestId("loyalty-points").filter({ hasText: "2 CAFE" }).waitFor();
  assert.equal(await stack.read<bigint>(program, loyaltyTokenAbi as Abi, "balanceOf", [payer.address]), 2_000_000n);
  await stack.screenshot(page, "loyalty-2-earned");

  // Pay a 10 USDC order with the 2 points: 8 USDC cash, points burned, 0.4 CAFE earned on the cash.
  await checkout.locator('input[name="amount"]').fill("10");
  await checkout.locator('input[name="points"]').fill("2");
  await page.getByTestId("loyalty-summary").filter({ hasText: "You pay 8 USDC + 2 CAFE points" }).waitFor();
  await page.getByTestId("loyalty-pay-button").click();
  await waitForConfirmed(checkout, "Pay 10 USDC");
  await page.getByTestId("loyalty-points").filter({ hasText: "0.4 CAFE" }).waitFor();
  await stack.screenshot(page, "loyalty-3-redeemed");

  assert.equal(await stack.read<bigint>(program, loyaltyTokenAbi as Abi, "balanceOf", [payer.address]), 400_000n);
  assert.equal(await stack.read<bigint>(program, loyaltyTokenAbi as Abi, "totalRedeemed", []), 2_000_000n);
  assert.equal(await stack.read<bigint>(program, loyaltyTokenAbi as Abi, "totalSupply", []), 400_000n);
  assert.equal(await balanceOf(stack, usdc, payer.address), payerUsdc - 48_000_000n);
  // The merchant gets the cash less the 1% platform fee: 39.6 + 7.92 USDC.
  assert.equal(await balanceOf(stack, usdc, merchant.address), merchantUsdc + 47_520_000n);

  // The merchant refunds the 40 USDC payment in full. It earned 2 CAFE, but the payer spent those and
  // holds 0.4 CAFE: 0.4 is clawed back and the missing 1.6 comes off the cash refund (38.4 USDC).
  await wallet.switchAccount(merchant);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${merchant.address}"]`)).waitFor();
  await page.getByTestId("tab-merchant").click();
  const payments = page.getByTestId("loyalty-payments");
  await payments.locator('[data-testid^="loyalty-payment-0x"]').nth(1).waitFor();
  const first = payments.locator('[data-testid^="loyalty-payment-0x"]').filter({ hasText: "40 USDC · earned 2 CAFE" });
  const refundButton = first.locator('[data-testid^="loyalty-refund-0x"]');
  await refundButton.click();
  await waitForConfirmed(first, "Approve USDC");
  await waitForConfirmed(first, "Refund 40 USDC");
  await first.and(page.locator('[data-refunded="40000000"][data-points-reversed="2000000"]')).waitFor();
  await first.getByTestId("loyalty-payment-summary").filter({ hasText: "refunded 40 USDC · points reversed 2 CAFE" }).waitFor();
  await first.getByTestId("loyalty-refund-outcome").filter({ hasText: "Cash sent 38.4 USDC · 0.4 CAFE clawed back · 1.6 CAFE already spent, deducted from the cash" }).waitFor();
  assert.equal(await refundButton.count(), 0, "nothing left to refund");
  await stack.screenshot(page, "loyalty-4-refunded");
  assert.equal(await balanceOf(stack, usdc, payer.address), payerUsdc - 48_000_000n + 38_400_000n);
  assert.equal(await stack.read<bigint>(program, loyaltyTokenAbi as Abi, "balanceOf", [payer.address]), 0n);
  assert.equal(await stack.read<bigint>(program, loyaltyTokenAbi as Abi, "totalSupply", []), 0n, "supply = minted 2.4 - redeemed 2 - clawed back 0.4");
  await context.close();
});
