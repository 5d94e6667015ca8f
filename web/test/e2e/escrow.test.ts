import assert from "node:assert/strict";
import { after, test } from "node:test";
import { escrowAbi } from "@coinpays/sdk/contracts";
import type { Abi } from "viem";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { balanceOf, tokenAddress, waitForConfirmed, waitForFailed } from "./support/helpers.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

test("escrow: the buyer funds a USDC escrow in the browser, releases it, and the seller withdraws", async () => {
  const stack = await e2eStack();
  const escrow = stack.deployment.contracts.Escrow.address;
  const usdc = tokenAddress(stack, "USDC");
  const [buyer, seller, arbiter] = [devAccount(6), devAccount(7), devAccount(8)];
  const id = await stack.read<bigint>(escrow, escrowAbi as Abi, "nextEscrowId", []);
  const buyerBefore = await balanceOf(stack, usdc, buyer.address);
  const sellerBefore = await balanceOf(stack, usdc, seller.address);

  const { page, wallet, context } = await stack.openPage("/escrow", buyer);
  const form = page.getByTestId("escrow-create");

  // Failures are shown with the reason: the contract's custom error (caught by the simulation, before the
  // wallet opens), then a rejection in the wallet. Neither creates an escrow.
  await form.locator('select[aria-label="Token"]').selectOption({ label: "ETH" });
  await form.locator('input[name="amount"]').fill("1");
  await form.locator('input[name="seller"]').fill(buyer.address);
  await page.getByTestId("escrow-fund").click();
  assert.equal(await waitForFailed(form, "Fund escrow of 1 ETH"), "InvalidSeller()");
  const sentBefore = wallet.transactions.length;
  await form.locator('input[name="seller"]').fill(seller.address);
  wallet.rejectNext("eth_sendTransaction");
  await page.getByTestId("escrow-fund").click();
  await form.getByTestId("tx-error").filter({ hasText: "You rejected the request in your wallet." }).waitFor();
  assert.equal(wallet.transactions.length, sentBefore);
  await stack.screenshot(page, "escrow-0-rejected-in-wallet");

  await form.locator('select[aria-label="Token"]').selectOption({ label: "USDC" });
  await form.locator('input[name="amount"]').fill("100.5");
  await form.locator('input[name="seller"]').fill(seller.address);
  await form.locator('input[name="arbiter"]').fill(arbiter.address);
  await form.locator('input[name="arbiterFeeBps"]').fill("250");
  // The fee is stated before funding: 2.5% of 100.5 USDC.
  await page.getByTestId("escrow-fee-summary").filter({ hasText: "2.5125 USDC" }).waitFor();
  await page.getByTestId("escrow-fund").click();
  await waitForConfirmed(form, "Approve USDC");
  await waitForConfirmed(form, "Fund escrow of 100.5 USDC");

  const row = page.getByTestId(`escrow-${id}`);
  await row.and(page.locator('[data-state="Funded"]')).waitFor();
  await stack.screenshot(page, "escrow-1-funded");
  const funded = await stack.read<{ state: number; amount: bigint; arbiterFeeBps: number }>(escrow, escrowAbi as Abi, "getEscrow", [id]);
  assert.equal(funded.state, 1);
  assert.equal(funded.amount, 100_500_000n);
  assert.equal(funded.arbiterFeeBps, 250);
  assert.equal(await balanceOf(stack, usdc, buyer.address), buyerBefore - 100_500_000n);

  await page.getByTestId(`escrow-${id}-release`).click();
  await waitForConfirmed(row, `Release escrow #${id}`);
  await row.and(page.locator('[data-state="Released"]')).waitFor();
  assert.equal((await stack.read<{ state: number }>(escrow, escrowAbi as Abi, "getEscrow", [id])).state, 3);
  assert.equal(await stack.read<bigint>(escrow, escrowAbi as Abi, "owed", [seller.address, usdc]), 100_500_000n);
  await stack.screenshot(page, "escrow-2-released");

  // The seller collects in the same page after switching accounts in the wallet.
  await wallet.switchAccount(seller);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${seller.address}"]`)).waitFor();
  await page.getByTestId("owed-USDC").filter({ hasText: "100.5 USDC" }).waitFor();
  await page.getByTestId("withdraw-USDC").click();
  await waitForConfirmed(page.getByTestId("escrow-owed"), "Withdraw USDC");
  assert.equal(await balanceOf(stack, usdc, seller.address), sellerBefore + 100_500_000n);
  assert.equal(await stack.read<bigint>(escrow, escrowAbi as Abi, "owed", [seller.address, usdc]), 0n);
  await stack.screenshot(page, "escrow-3-seller-withdrew");
  await context.close();
});

test("escrow: the buyer disputes a native-coin escrow, the arbiter rules a 75/25 split with the slider and collects its fee", async () => {
  const stack = await e2eStack();
  const escrow = stack.deployment.contracts.Escrow.address;
  const native = "0x0000000000000000000000000000000000000000";
  const [buyer, seller, arbiter] = [devAccount(6), devAccount(7), devAccount(8)];
  const owed = (account: `0x${string}`) => stack.read<bigint>(escrow, escrowAbi as Abi, "owed", [account, native]);
  const id = await stack.read<bigint>(escrow, escrowAbi as Abi, "nextEscrowId", []);
  const [buyerOwed, sellerOwed, arbiterOwed] = [await owed(buyer.address), await owed(seller.address), await owed(arbiter.address)];

  const { page, wallet, context } = await stack.openPage("/escrow", buyer);
  const form = page.getByTestId("escrow-create");
  await form.locator('select[aria-label="Token"]').selectOption({ label: "ETH" });
  await form.locator('input[name="amount"]').fill("2");
  await form.locator('input[name="seller"]').fill(seller.address);
  await form.locator('input[name="arbiter"]').fill(arbiter.address);
  await form.locator('input[name="arbiterFeeBps"]').fill("500");
  await page.getByTestId("escrow-fee-summary").filter({ hasText: "0.1 ETH (5.00%)" }).waitFor();
  await page.getByTestId("escrow-fund").click();
  await waitForConfirmed(form, "Fund escrow of 2 ETH");

  const row = page.getByTestId(`escrow-${id}`);
  await page.getByTestId(`escrow-${id}-dispute`).click();
  await waitForConfirmed(row, `Dispute escrow #${id}`);
  await row.and(page.locator('[data-state="Disputed"]')).waitFor();

  // The arbiter sees the ruling slider: 75% of what is left after its 0.1 ETH fee goes to the seller.
  await wallet.switchAccount(arbiter);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${arbiter.address}"]`)).waitFor();
  const ruling = page.getByTestId(`escrow-${id}-rule`);
  await ruling.getByRole("slider").fill("75");
  await ruling.filter({ hasText: "Seller 75%: 1.425 ETH · Buyer: 0.475 ETH · Your fee: 0.1 ETH" }).waitFor();
  await stack.screenshot(page, "escrow-4-arbiter-ruling");
  await ruling.getByRole("button", { name: "Rule" }).click();
  await waitForConfirmed(row, `Rule escrow #${id}`);
  await row.and(page.locator('[data-state="Resolved"]')).waitFor();
  assert.equal((await stack.read<{ state: number }>(escrow, escrowAbi as Abi, "getEscrow", [id])).state, 5);
  assert.equal((await owed(seller.address)) - sellerOwed, 1_425_000_000_000_000_000n);
  assert.equal((await owed(buyer.address)) - buyerOwed, 475_000_000_000_000_000n);
  assert.equal((await owed(arbiter.address)) - arbiterOwed, 100_000_000_000_000_000n);

  // The arbiter withdraws its fee: its balance grows by the fee less the gas it paid.
  const before = await stack.publicClient.getBalance({ address: arbiter.address });
  await page.getByTestId("withdraw-ETH").click();
  await waitForConfirmed(page.getByTestId("escrow-owed"), "Withdraw ETH");
  const receipt = await stack.publicClient.getTransactionReceipt({ hash: wallet.transactions.at(-1)! });
  const after = await stack.publicClient.getBalance({ address: arbiter.address });
  assert.equal(after - before, arbiterOwed + 100_000_000_000_000_000n - receipt.gasUsed * receipt.effectiveGasPrice);
  assert.equal(await owed(arbiter.address), 0n);
  await stack.screenshot(page, "escrow-5-resolved");
  await context.close();
});
