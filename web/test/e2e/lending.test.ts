import assert from "node:assert/strict";
import { after, test } from "node:test";
import { coinPaysLendingAbi, mockAggregatorV3Abi } from "@coinpays/sdk/contracts";
import { formatAmount } from "@coinpays/sdk";
import { erc20Abi, parseEventLogs, type Abi } from "viem";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { apiOrder, balanceOf, merchantApiKey, waitForConfirmed } from "./support/helpers.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

test("lending: supply, deposit collateral, borrow, the price drops, a liquidator liquidates in the browser", async () => {
  const stack = await e2eStack();
  const lending = stack.deployment.contracts.CoinPaysLending.address;
  const market = stack.deployment.lending.markets[0]!;
  const params = { loanToken: market.loanToken, collateralToken: market.collateralToken, oracle: market.oracle, rateModel: market.rateModel, lltv: BigInt(market.lltv) };
  const [lender, borrower, liquidator, feedOwner] = [devAccount(4), devAccount(5), devAccount(3), devAccount(0)];
  // A fresh answer at 3,000 USDC per WETH (other tests may have moved the chain's clock past the staleness limit).
  await stack.send(feedOwner, market.feed, mockAggregatorV3Abi as Abi, "setAnswer", [3_000n * 10n ** 8n]);

  // The markets list shows the market; open it.
  const { page, wallet, context } = await stack.openPage("/lending", lender);
  await page.getByTestId(`market-${market.id}`).getByRole("link").click();
  await page.getByTestId("oracle-price").filter({ hasText: "3000 USDC" }).waitFor();
  await page.getByTestId("connected-address").waitFor();

  async function act(action: string, amount: string, label: string) {
    await page.getByTestId(`action-${action}`).click();
    await page.locator('input[name="lendingAmount"]').fill(amount);
    await page.getByTestId("lending-submit").click();
    await waitForConfirmed(page.getByTestId("lending-actions"), label);
  }

  // Lender supplies 5,000 USDC.
  await act("supply", "5000", "Supply 5000 USDC");
  await page.getByTestId("position-supplied").filter({ hasText: /^5000 USDC|^4999\.99/ }).waitFor();

  // Borrower: 1 WETH collateral, borrows 2,000 USDC: health 3000 * 0.86 / 2000 = 1.29, liquidation at 2325.58…
  await wallet.switchAccount(borrower);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${borrower.address}"]`)).waitFor();
  const borrowerUsdc = await balanceOf(stack, market.loanToken, borrower.address);
  await act("supplyCollateral", "1", "Deposit collateral 1 WETH");
  await page.getByTestId(`action-borrow`).click();
  await page.locator('input[name="lendingAmount"]').fill("2000");
  await page.getByTestId("projected-health").filter({ hasText: "health factor 1.29" }).waitFor();
  await page.getByTestId("lending-submit").click();
  await waitForConfirmed(page.getByTestId("lending-actions"), "Borrow 2000 USDC");
  await page.getByTestId("liquidation-price").filter({ hasText: "2325.58" }).waitFor();
  assert.equal(await balanceOf(stack, market.loanToken, borrower.address), borrowerUsdc + 2_000_000_000n);
  await stack.screenshot(page, "lending-1-borrowed");

  // Repay 100 USDC (approve + repay): debt ≈ 1,900, liquidation price 1900 / 0.86 ≈ 2209.30.
  await act("repay", "100", "Repay 100 USDC");
  await page.getByTestId("liquidation-price").filter({ hasText: "2209.30" }).waitFor();
  assert.equal(await balanceOf(stack, market.loanToken, borrower.address), borrowerUsdc + 1_900_000_000n);

  // The price drops to 2,200: the position is now under water (2200 * 0.86 = 1892 < 2000); the page updates live.
  await stack.send(feedOwner, market.feed, mockAggregatorV3Abi as Abi, "setAnswer", [2_200n * 10n ** 8n]);
  await page.getByTestId("oracle-price").filter({ hasText: "2200 USDC" }).waitFor();
  await page.getByTestId("health-factor").filter({ hasText: /^0\.9/ }).waitFor();
  const [ok, healthy] = await stack.read<[boolean, boolean]>(lending, coinPaysLendingAbi as Abi, "isHealthy", [params, borrower.address]);
  assert.deepEqual([ok, healthy], [true, false]);
  await stack.screenshot(page, "lending-2-price-dropped");

  // A liquidator repays the debt from the liquidation view and seizes collateral with the incentive.
  await wallet.switchAccount(liquidator);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${liquidator.address}"]`)).waitFor();
  await page.getByTestId("tab-liquidations").click();
  const row = page.getByTestId(`borrower-${borrower.address}`);
  await row.and(page.locator('[data-unhealthy="true"]')).waitFor();
  await stack.screenshot(page, "lending-3-liquidation-view");
  const liquidatorUsdc = await balanceOf(stack, market.loanToken, liquidator.address);
  const liquidatorWeth = await balanceOf(stack, market.collateralToken, liquidator.address);
  await page.getByTestId(`liquidate-${borrower.address}`).click();
  await waitForConfirmed(row, "Liquidate");
  await row.and(page.locator('[data-unhealthy="false"]')).waitFor();
  await stack.screenshot(page, "lending-4-liquidated");

  const position = await stack.read<{ borrowShares: bigint; collateral: bigint }>(lending, coinPaysLendingAbi as Abi, "position", [market.id, borrower.address]);
  assert.equal(position.borrowShares, 0n, "the whole debt was repaid");
  const liquidated = parseEventLogs({
    abi: coinPaysLendingAbi,
    eventName: "Liquidated",
    logs: (await stack.publicClient.waitForTransactionReceipt({ hash: wallet.transactions.at(-1)! })).logs,
  })[0]!.args;
  const seized = (await balanceOf(stack, market.collateralToken, liquidator.address)) - liquidatorWeth;
  const repaid = liquidatorUsdc - (await balanceOf(stack, market.loanToken, liquidator.address));
  assert.equal(seized, liquidated.seizedAssets);
  assert.equal(repaid, liquidated.repaidAssets);
  assert.ok(repaid >= 1_900_000_000n && repaid < 1_901_000_000n, `repaid ${repaid}`);
  // Seized value ≈ repaid × incentive (1/(1 - 0.3 × 0.14) ≈ 1.0438) at 2,200 USDC per WETH.
  const seizedValue = (seized * 2_200n) / 10n ** 12n; // WETH (18 dec) → USDC (6 dec) at 2200
  assert.ok(seizedValue > repaid && seizedValue < (repaid * 105n) / 100n, `seized ${seized} for ${repaid}`);
  assert.equal(position.collateral, 10n ** 18n - seized);

  // The borrower takes back the collateral left over, and the lender withdraws part of its supply.
  await wallet.switchAccount(borrower);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${borrower.address}"]`)).waitFor();
  await page.getByTestId("tab-position").click();
  const borrowerWeth = await balanceOf(stack, market.collateralToken, borrower.address);
  const left = formatAmount(position.collateral, 18);
  await page.getByTestId("position-collateral").filter({ hasText: `${left} WETH` }).waitFor();
  await act("withdrawCollateral", left, `Withdraw collateral ${left} WETH`);
  assert.equal(await balanceOf(stack, market.collateralToken, borrower.address), borrowerWeth + position.collateral);

  await wallet.switchAccount(lender);
  await page.getByTestId("connected-address").and(page.locator(`[data-address="${lender.address}"]`)).waitFor();
  const lenderUsdc = await balanceOf(stack, market.loanToken, lender.address);
  await act("withdraw", "1000", "Withdraw supply 1000 USDC");
  assert.equal(await balanceOf(stack, market.loanToken, lender.address), lenderUsdc + 1_000_000_000n);
  await stack.screenshot(page, "lending-5-withdrawn");
  await context.close();
});

test("pay with credit: the payer deposits collateral, the checkout offers credit and says why when it is short, pays in one transaction, the order settles, the debt shows", async () => {
  const stack = await e2eStack();
  const lending = stack.deployment.contracts.CoinPaysLending.address;
  const creditPayment = stack.deployment.contracts.CreditPayment.address;
  const market = stack.deployment.lending.markets[0]!;
  const params = { loanToken: market.loanToken, collateralToken: market.collateralToken, oracle: market.oracle, rateModel: market.rateModel, lltv: BigInt(market.lltv) };
  const [lender, merchant, payer] = [devAccount(0), devAccount(1), devAccount(2)];
  await stack.send(lender, market.feed, mockAggregatorV3Abi as Abi, "setAnswer", [3_000n * 10n ** 8n]);
  await stack.send(lender, market.loanToken, erc20Abi, "approve", [lending, 2_000_000_000n]);
  await stack.send(lender, lending, coinPaysLendingAbi as Abi, "supply", [params, 2_000_000_000n, 0n, lender.address]);

  const apiKey = await merchantApiKey(stack, merchant, "Credit Corner");
  const large = await apiOrder(stack.baseUrl, apiKey, { amount: "30", token: "USDC", chainId: 31337, reference: "credit-large" });
  const order = await apiOrder(stack.baseUrl, apiKey, { amount: "12.5", token: "USDC", chainId: 31337, reference: "credit-1" });

  // Without collateral the checkout offers no credit at all.
  const { page, wallet, context } = await stack.openPage(`/pay/${large.id}`, payer);
  await page.getByTestId("checkout-pay-button").waitFor();
  await page.getByTestId("credit-pay-none").waitFor({ state: "attached" });
  assert.equal(await page.getByTestId("credit-pay").count(), 0);

  // The payer deposits 0.01 WETH (worth 30 USDC, borrowing power 25.8 USDC) on the market page.
  await page.goto(new URL(`/lending/${market.id}`, stack.baseUrl).toString());
  await page.getByTestId("action-supplyCollateral").click();
  await page.locator('input[name="lendingAmount"]').fill("0.01");
  await page.getByTestId("lending-submit").click();
  await waitForConfirmed(page.getByTestId("lending-actions"), "Deposit collateral 0.01 WETH");

  // 30 USDC is more than the collateral supports: the checkout says so instead of offering it.
  await page.goto(new URL(`/pay/${large.id}`, stack.baseUrl).toString());
  const short = page.getByTestId("credit-unavailable");
  await short.and(page.locator('[data-reason="insufficient-collateral"]')).waitFor();
  assert.match(await short.innerText(), /supports 25\.8 USDC more debt, this order needs 30 USDC/);
  assert.equal(await page.getByTestId("credit-pay-button").count(), 0);
  await stack.screenshot(page, "credit-1-capacity-short");

  // 12.5 USDC fits: borrowed 12.5, health 25.8 / 12.5 = 2.064, liquidation at 12.5 / 0.86 / 0.01 ≈ 1453.49 USDC per WETH.
  await page.goto(new URL(`/pay/${order.id}`, stack.baseUrl).toString());
  const credit = page.getByTestId("credit-pay");
  await credit.getByTestId("credit-quote").and(page.locator('[data-ok="true"]')).waitFor();
  assert.equal(await credit.getByTestId("credit-borrow").innerText(), "12.5 USDC");
  assert.equal(await credit.getByTestId("credit-collateral").innerText(), "0.01 WETH");
  await credit.getByTestId("credit-health-after").filter({ hasText: "2.064" }).waitFor();
  await credit.getByTestId("credit-liquidation-price").filter({ hasText: /^1453\.48\d* USDC per WETH$/ }).waitFor();
  await credit.getByTestId("credit-authorise-hint").waitFor();
  await stack.screenshot(page, "credit-2-offer");

  const payerUsdc = await balanceOf(stack, market.loanToken, payer.address);
  const merchantUsdc = await balanceOf(stack, market.loanToken, merchant.address);
  const sentBefore = wallet.transactions.length;
  await credit.getByTestId("credit-pay-button").click();
  await waitForConfirmed(page.getByTestId("checkout"), "Authorise credit payments");
  await waitForConfirmed(page.getByTestId("checkout"), "Pay 12.5 USDC with credit");

  // Two wallet transactions the first time (authorisation, then the payment), one CreditPayment call paying.
  const sent = wallet.transactions.slice(sentBefore);
  assert.equal(sent.length, 2);
  const paymentReceipt = await stack.publicClient.waitForTransactionReceipt({ hash: sent[1]! });
  assert.equal(paymentReceipt.to?.toLowerCase(), creditPayment.toLowerCase());
  assert.equal(await stack.read<boolean>(lending, coinPaysLendingAbi as Abi, "isAuthorized", [payer.address, creditPayment]), true);

  // The gateway watcher settles it like any router payment.
  await page.locator('[data-testid="checkout"][data-status="settled"]').waitFor({ timeout: 20_000 });
  await page.getByTestId("receipt-amount").filter({ hasText: "12.5 USDC" }).waitFor();
  await page.getByTestId("receipt-tx").filter({ hasText: sent[1]! }).waitFor();
  await stack.screenshot(page, "credit-3-settled");
  assert.equal(await balanceOf(stack, market.loanToken, payer.address), payerUsdc, "paid entirely with borrowed USDC");
  assert.equal(await balanceOf(stack, market.loanToken, merchant.address), merchantUsdc + 12_375_000n, "12.5 USDC minus the 1% platform fee");

  // The borrow position shows the debt on the market page.
  const debt = await stack.read<bigint>(lending, coinPaysLendingAbi as Abi, "expectedBorrowAssets", [params, payer.address]);
  assert.ok(debt >= 12_500_000n && debt < 12_500_100n, `debt ${debt}`);
  await page.goto(new URL(`/lending/${market.id}`, stack.baseUrl).toString());
  await page.getByTestId("position-debt").filter({ hasText: /^12\.5\d* USDC$/ }).waitFor();
  await page.getByTestId("health-factor").filter({ hasText: /^2\.06/ }).waitFor();
  await stack.screenshot(page, "credit-4-debt");
  await context.close();
});
