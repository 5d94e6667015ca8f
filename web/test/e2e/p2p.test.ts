// The P2P ruble desk in Chromium, as its two users see it: a seller signs up and verifies the e-mail
// with the code from the dev outbox, links the game-room account, deposits through the simulator,
// connects a sandbox shop and puts virtual dollars on sale; a buyer tops up, pays on the sandbox
// provider's page and sees the balance; the seller sees the payout. No API shortcuts: every step is
// a click or a typed field on the desk's pages. Then the operator refunds the sandbox payment, the
// desk claws it back into a dispute, and resolving it for the seller moves the money back.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { Authenticator } from "../security/p2p-support.ts";
import { closeE2eStack, e2eStack, P2P_OPERATOR_EMAIL, type E2eStack } from "./support/stack.ts";

after(closeE2eStack);

const PASSWORD = "correct horse battery staple";

/** The newest code mailed to `address`, read from the dev outbox page (mail is not sent over SMTP here). */
async function codeFromOutbox(stack: E2eStack, context: BrowserContext, address: string): Promise<string> {
  const outbox = await context.newPage();
  try {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      await outbox.goto(new URL("/p2p/dev/outbox", stack.baseUrl).toString());
      const row = outbox.locator("tr", { hasText: address }).first();
      if ((await row.count()) > 0) {
        const code = /Your code: (\d{6})/.exec(await row.innerText())?.[1];
        if (code) return code;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`no code for ${address} in the dev outbox`);
  } finally {
    await outbox.close();
  }
}

/** Signs up, signs in and verifies the e-mail through the desk's home page. */
async function signUpAndVerify(stack: E2eStack, context: BrowserContext, email: string): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(new URL("/p2p", stack.baseUrl).toString());
  const signUp = page.locator("section", { hasText: "Create an account" });
  await signUp.getByLabel("E-mail").fill(email);
  await signUp.getByLabel("Password (10+ characters)").fill(PASSWORD);
  await signUp.getByRole("button", { name: "Sign up" }).click();
  const code = await codeFromOutbox(stack, context, email);

  const signIn = page.locator("section", { hasText: "Sign in" }).first();
  await signIn.getByLabel("E-mail").fill(email);
  await signIn.getByLabel("Password").fill(PASSWORD);
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: `Hello, ${email}` }).waitFor();

  const verify = page.locator("section", { hasText: "Verify your e-mail" });
  await verify.getByLabel("6-digit code").fill(code);
  await verify.getByRole("button", { name: "Verify", exact: true }).click();
  await verify.waitFor({ state: "detached" });
  return page;
}

async function expectText(page: Page, testId: string, expected: string, timeout = 15_000): Promise<void> {
  const locator = page.getByTestId(testId);
  const deadline = Date.now() + timeout;
  let seen = "";
  while (Date.now() < deadline) {
    seen = (await locator.innerText().catch(() => "")).trim();
    if (seen === expected) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const body = (await page.locator("body").innerText().catch(() => "")).replace(/\s+/g, " ").slice(0, 400);
  assert.equal(seen, expected, `${testId} on ${page.url()} (page: ${body})`);
}

test("P2P desk: seller deposits and lists, buyer tops up and pays on the sandbox page, both see the money; a refund is clawed back and resolved", { timeout: 180_000 }, async () => {
  const stack = await e2eStack();
  const run = randomBytes(3).toString("hex");
  const sellerContext = await stack.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const buyerContext = await stack.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const operatorContext = await stack.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    // --- Seller: account, game-room link, deposit, API form, withdrawal request.
    const sellerEmail = `seller-${run}@example.com`;
    const gameEmail = `seller-${run}@game.example`;
    const seller = await signUpAndVerify(stack, sellerContext, sellerEmail);
    await seller.goto(new URL("/p2p/seller", stack.baseUrl).toString());
    const room = seller.locator("section", { hasText: "1 · Game-room account" });
    await room.getByLabel("Game-room account e-mail").fill(gameEmail);
    await room.getByRole("button", { name: "Send code" }).click();
    await room.getByLabel("Code from that mailbox").fill(await codeFromOutbox(stack, sellerContext, gameEmail));
    await room.getByRole("button", { name: "Link" }).click();
    await room.getByText(gameEmail).waitFor();

    await room.getByLabel("Amount").fill("100.00");
    await room.getByRole("button", { name: "Simulate a game-room transfer (dev)" }).click();
    await expectText(seller, "seller-available", "98.00"); // 2 % deposit commission

    const forms = seller.locator("section", { hasText: "2 · Payment provider" });
    await forms.getByLabel("Display name").fill("My sandbox shop");
    await forms.getByLabel("Shop id").fill(`shop_e2e_${run}`);
    await forms.getByLabel("Secret key").fill("sk_live_e2e_secret_123");
    await forms.getByRole("button", { name: "Verify and save" }).click();
    await forms.locator("tr", { hasText: `shop_e2e_${run}` }).getByText("active").waitFor();

    const requests = seller.locator("section", { hasText: "3 · Withdrawal requests" });
    await requests.getByLabel("Amount", { exact: true }).fill("50.00");
    await requests.getByLabel("Min per buyer").fill("1.00");
    await requests.getByLabel("Max per buyer").fill("50.00");
    await requests.getByRole("button", { name: "Create request" }).click();
    await requests.locator("tbody tr", { hasText: "open" }).waitFor();
    await expectText(seller, "seller-available", "48.00");
    await stack.screenshot(seller, "p2p-seller-listed");

    // --- Buyer: account, top-up, invoice, payment on the sandbox provider's page.
    const buyer = await signUpAndVerify(stack, buyerContext, `buyer-${run}@example.com`);
    await buyer.goto(new URL("/p2p/buy", stack.baseUrl).toString());
    await expectText(buyer, "buyer-available", "0.00");
    await buyer.getByLabel("Amount (virtual $)").fill("20.00");
    await buyer.getByRole("button", { name: "Get an invoice" }).click();
    await buyer.waitForURL(/\/p2p\/orders\/[0-9a-f-]{36}$/);
    await expectText(buyer, "fiat-amount", "1900.00 ₽"); // 20.00 $ at the default 95.00 ₽/$
    await expectText(buyer, "order-status", "Awaiting payment");
    await buyer.getByTestId("countdown").waitFor();
    const orderUrl = buyer.url();
    await stack.screenshot(buyer, "p2p-buyer-invoice");

    await buyer.getByRole("link", { name: "Pay with the provider" }).click();
    await buyer.waitForURL(/\/p2p\/sandbox\/pay\/sbx_[0-9a-f]{24}$/);
    const invoiceId = buyer.url().split("/").pop()!;
    await expectText(buyer, "sandbox-status", "Status: pending");
    await stack.screenshot(buyer, "p2p-sandbox-provider");
    await buyer.getByRole("button", { name: "Pay" }).click();
    await expectText(buyer, "sandbox-status", "Status: succeeded");

    // The sandbox's signed notification → the desk's status call → posted; the invoice page updates live.
    await buyer.goto(orderUrl);
    await expectText(buyer, "order-status", "Paid: your balance is credited", 30_000);
    await stack.screenshot(buyer, "p2p-buyer-paid");
    await buyer.goto(new URL("/p2p/buy", stack.baseUrl).toString());
    await expectText(buyer, "buyer-available", "20.00"); // no trade fee by default
    await buyer.locator("tr", { hasText: "20.00" }).getByText("paid").waitFor();

    // --- Seller: the payout and the filled request.
    await seller.reload();
    const payouts = seller.locator("section", { hasText: "Payouts" });
    await payouts.locator("tr", { hasText: "1900.00 RUB" }).getByText("posted").waitFor();
    const request = seller.locator("section", { hasText: "3 · Withdrawal requests" }).locator("tbody tr").first();
    const cells = await request.locator("td").allInnerTexts();
    // #, Amount, Remaining, Reserved, Filled, …
    assert.deepEqual(cells.slice(1, 5), ["50.00", "30.00", "0.00", "20.00"]);
    await expectText(seller, "seller-available", "48.00");
    await stack.screenshot(seller, "p2p-seller-payout");

    // --- Operator: the seller's shop refunds the payment; the desk claws it back into a dispute,
    // the operator resolves it for the seller and the money moves back.
    const operator = await signUpAndVerify(stack, operatorContext, P2P_OPERATOR_EMAIL);
    await operator.goto(new URL("/p2p/operator", stack.baseUrl).toString());
    // Money actions need the operator's authenticator app: set it up with the secret the page shows.
    const enrol = operator.locator("section", { hasText: "Authenticator (required for money actions)" });
    await enrol.getByRole("button", { name: "Set up authenticator" }).click();
    const authenticator = new Authenticator((await enrol.getByTestId("totp-secret").innerText()).trim());
    await enrol.getByLabel("Code from the app").fill(await authenticator.next());
    await enrol.getByRole("button", { name: "Confirm authenticator" }).click();
    await enrol.waitFor({ state: "detached" });
    const reverse = operator.locator("section", { hasText: "Sandbox: refund or charge back" });
    await reverse.getByLabel("Sandbox invoice id").fill(invoiceId);
    await reverse.getByRole("button", { name: "Reverse payment" }).click();
    const disputes = operator.locator("section", { hasText: "Held money sits in platform:disputes" });
    const dispute = disputes.locator("tbody tr", { hasText: "clawback" });
    const deadline = Date.now() + 15_000;
    while ((await dispute.count()) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      await operator.reload();
    }
    assert.deepEqual((await dispute.locator("td").allInnerTexts()).slice(1, 4), ["clawback", "20.00", "20.00"]);
    await operator.getByText("all hold").waitFor();
    // The dispute account holds the clawed-back 20.00 on the trial balance.
    const held = await operator.locator("tr", { hasText: "platform:disputes" }).locator("td").allInnerTexts();
    assert.equal(held.at(-1), "20.00");
    await operator.getByText(/^platform:commission \(\d+ shards\)$/).waitFor();
    await stack.screenshot(operator, "p2p-operator-dispute");
    await dispute.getByLabel("Note").fill("refund confirmed in the shop's account");
    await dispute.getByLabel("Authenticator code").fill(await authenticator.next());
    await dispute.getByRole("button", { name: "Resolve" }).click();
    await dispute.waitFor({ state: "detached" });
    await operator.getByText("all hold").waitFor();
    // The resolution is in the audit log, with its operator.
    await operator.locator("section", { hasText: "Audit log" }).locator("tr", { hasText: "dispute_resolution" }).getByText(P2P_OPERATOR_EMAIL).waitFor();

    await buyer.goto(new URL("/p2p/buy", stack.baseUrl).toString());
    await expectText(buyer, "buyer-available", "0.00");
    await buyer.locator("tr", { hasText: "20.00" }).getByText("failed").waitFor();
    await seller.reload();
    await expectText(seller, "seller-available", "68.00"); // the 20.00 sold comes back
    await stack.screenshot(seller, "p2p-seller-after-refund");
  } finally {
    await sellerContext.close();
    await buyerContext.close();
    await operatorContext.close();
  }
});
