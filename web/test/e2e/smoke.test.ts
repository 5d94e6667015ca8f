import assert from "node:assert/strict";
import { after, test } from "node:test";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { closeE2eStack, e2eStack } from "./support/stack.ts";

after(closeE2eStack);

test("the test wallet connects through the landing page's Connect wallet menu", async () => {
  const stack = await e2eStack();
  const { page, wallet, context } = await stack.openPage("/", devAccount(5));
  const shown = await page.getByTestId("connected-address").getAttribute("data-address");
  assert.equal(shown?.toLowerCase(), wallet.address.toLowerCase());
  assert.ok(wallet.requests.some((r) => r.method === "eth_requestAccounts"));
  await stack.screenshot(page, "landing-connected");
  await context.close();
});
