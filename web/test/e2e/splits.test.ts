import assert from "node:assert/strict";
import { after, test } from "node:test";
import { mockErc20Abi, splitMainAbi } from "@coinpays/sdk/contracts";
import type { Page } from "playwright-core";
import type { Abi, Address } from "viem";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { balanceOf, tokenAddress, waitForConfirmed } from "./support/helpers.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

async function createSplit(page: Page, rows: [string, string][]): Promise<Address> {
  const form = page.getByTestId("split-create");
  // The form is back to two empty rows after each creation; add rows as needed.
  for (let i = 2; i < rows.length; i++) await form.getByRole("button", { name: "+ Recipient" }).click();
  for (const [i, [recipient, percent]] of rows.entries()) {
    await form.locator(`input[name="recipient-${i}"]`).fill(recipient);
    await form.locator(`input[name="percent-${i}"]`).fill(percent);
  }
  await form.getByTestId("split-total").filter({ hasText: "100% ✓" }).waitFor();
  const previous = (await form.getByTestId("created-split").count()) ? await form.getByTestId("created-split").getAttribute("data-address") : null;
  await form.getByTestId("split-submit").click();
  await waitForConfirmed(form, "Create split");
  const created = form.getByTestId("created-split");
  if (previous) await created.and(page.locator(`[data-address]:not([data-address="${previous}"])`)).waitFor();
  return (await created.getAttribute("data-address")) as Address;
}

test("splits: a payment into a rep's split is distributed up two levels and the company account withdraws; the controller updates the rules and hands control over in two steps", async () => {
  const stack = await e2eStack();
  const splitMain = stack.deployment.contracts.SplitMain.address;
  const usdc = tokenAddress(stack, "USDC");
  const [owner, headOffice, partner, teamLead, rep, payer] = [devAccount(9), devAccount(10), devAccount(11), devAccount(12), devAccount(13), devAccount(14)];

  const { page, wallet, context } = await stack.openPage("/splits", owner);
  // company: head office 60%, partner 40%; team: lead 50%, company 50%; rep split: rep 70%, team 30%.
  const company = await createSplit(page, [[headOffice.address, "60"], [partner.address, "40"]]);
  const team = await createSplit(page, [[teamLead.address, "50"], [company, "50"]]);
  const repSplit = await createSplit(page, [[rep.address, "70"], [team, "30"]]);
  assert.equal(await stack.read<boolean>(splitMain, splitMainAbi as Abi, "isSplit", [repSplit]), true);
  const [, , teamIsSplit] = await stack.read<[Address[], number[], boolean[]]>(splitMain, splitMainAbi as Abi, "rulesOf", [team]);
  assert.ok(teamIsSplit.includes(true), "the company split is credited as a split inside the team split");

  // A customer pays 100 USDC straight to the rep's split address (what the gateway does).
  await stack.send(payer, usdc, mockErc20Abi as Abi, "transfer", [repSplit, 100_000_000n]);

  const tree = page.getByTestId("split-tree");
  for (const split of [repSplit, team, company]) {
    const button = tree.getByTestId(`distribute-${split}-USDC`);
    await button.waitFor();
    await button.click();
    await waitForConfirmed(tree.getByTestId(`split-node-${split}`).first(), "Distribute USDC");
  }
  await stack.screenshot(page, "splits-1-distributed");
  // 100 * 30% * 50% * 60% = 9 USDC for the head office, credited in the ledger, not yet transferred.
  assert.equal(await stack.read<bigint>(splitMain, splitMainAbi as Abi, "balanceOf", [headOffice.address, usdc]), 9_000_000n);
  assert.equal(await stack.read<bigint>(splitMain, splitMainAbi as Abi, "balanceOf", [rep.address, usdc]), 70_000_000n);

  const before = await balanceOf(stack, usdc, headOffice.address);
  await wallet.switchAccount(headOffice);
  await page.getByTestId("my-split-balance-USDC").filter({ hasText: "9 USDC" }).waitFor();
  await page.getByTestId("split-withdraw").click();
  await waitForConfirmed(page.getByTestId("split-my-balance"), "Withdraw split balance");
  assert.equal(await balanceOf(stack, usdc, headOffice.address), before + 9_000_000n);
  assert.equal(await stack.read<bigint>(splitMain, splitMainAbi as Abi, "balanceOf", [headOffice.address, usdc]), 0n);
  await stack.screenshot(page, "splits-2-head-office-withdrew");

  // The owner (controller) rewrites the company split's rules: head office 50%, partner 50%. The page shows
  // the new version and its rule-set id, which is what the contract now stores and will emit.
  await wallet.switchAccount(owner);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${owner.address}"]`)).waitFor();
  await page.getByLabel("Split address").fill(company);
  await page.getByRole("button", { name: "View" }).click();
  const rules = page.getByTestId("split-rules");
  await rules.getByTestId("split-rules-version").filter({ hasText: "v1" }).waitFor();
  const update = rules.getByTestId("split-update");
  const order = [headOffice.address, partner.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  for (const [i, recipient] of order.entries()) {
    assert.equal(await update.locator(`input[name="update-recipient-${i}"]`).inputValue(), recipient, "the form starts from the current rules");
    await update.locator(`input[name="update-percent-${i}"]`).fill("50");
  }
  await update.getByTestId("split-update-total").filter({ hasText: "100% ✓" }).waitFor();
  await update.getByTestId("split-update-submit").click();
  await waitForConfirmed(rules, "Update rules");
  const result = update.getByTestId("split-update-result");
  await result.and(page.locator('[data-version="2"]')).waitFor();
  const shownId = await result.getAttribute("data-rule-set");
  const onChainId = await stack.read<string>(splitMain, splitMainAbi as Abi, "ruleSetOf", [company]);
  assert.equal(shownId, onChainId);
  assert.equal(onChainId, await stack.read<string>(splitMain, splitMainAbi as Abi, "ruleSetIdOf", [2, order, [500_000, 500_000], 0]));
  await rules.getByTestId("split-rules-current").and(page.locator(`[data-version="2"][data-rule-set="${onChainId}"]`)).waitFor();
  await stack.screenshot(page, "splits-3-rules-v2");

  // Two-step hand-over to the partner: offered by the owner, effective only when the partner accepts.
  await rules.locator('input[name="new-controller"]').fill(partner.address);
  await rules.getByTestId("split-transfer-submit").click();
  await waitForConfirmed(rules, "Start control transfer");
  await rules.getByTestId("split-pending-controller").filter({ hasText: partner.address }).waitFor();
  assert.equal(await stack.read<string>(splitMain, splitMainAbi as Abi, "pendingControllerOf", [company]), partner.address);
  assert.equal((await stack.read<{ controller: string }>(splitMain, splitMainAbi as Abi, "configOf", [company])).controller, owner.address, "still the owner's until accepted");
  await wallet.switchAccount(partner);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${partner.address}"]`)).waitFor();
  await rules.getByTestId("split-accept-control").click();
  await waitForConfirmed(rules, "Accept control");
  await rules.getByTestId("split-controller").filter({ hasText: partner.address }).waitFor();
  assert.equal((await stack.read<{ controller: string }>(splitMain, splitMainAbi as Abi, "configOf", [company])).controller, partner.address);
  await rules.getByTestId("split-update").waitFor(); // the new controller can now edit
  await stack.screenshot(page, "splits-4-control-accepted");
  await context.close();
});
