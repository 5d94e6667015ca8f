import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { erc20Abi, type Address, type LocalAccount } from "viem";
import type { E2eStack } from "./stack.ts";

/** Waits until the transaction banner inside `scope` says `label: Confirmed`; fails fast with the page's error text. */
export async function waitForConfirmed(scope: Locator | Page, label: string, timeout = 20_000): Promise<void> {
  const banner = scope.locator('[data-testid="tx-status"]').filter({ hasText: label });
  await banner.and(scope.locator('[data-status="confirmed"], [data-status="failed"]')).first().waitFor({ timeout });
  const status = await banner.first().getAttribute("data-status");
  if (status !== "confirmed") throw new Error(`"${label}" failed in the page: ${await banner.first().innerText()}`);
}

/** Waits until the banner for `label` inside `scope` says Failed, and returns the error text the page shows. */
export async function waitForFailed(scope: Locator | Page, label: string, timeout = 20_000): Promise<string> {
  const banner = scope.locator('[data-testid="tx-status"][data-status="failed"]').filter({ hasText: label }).first();
  await banner.waitFor({ timeout });
  return banner.getByTestId("tx-error").innerText();
}

export function tokenAddress(stack: E2eStack, symbol: string): Address {
  const token = stack.deployment.tokens.find((t) => t.symbol === symbol);
  if (!token) throw new Error(`no ${symbol} dev token`);
  return token.address;
}

export function balanceOf(stack: E2eStack, token: Address, account: Address): Promise<bigint> {
  return stack.read<bigint>(token, erc20Abi, "balanceOf", [account]);
}

/** Signs in on /dashboard as `account`, creates its merchant and an API key in the UI; returns the key. */
export async function merchantApiKey(stack: E2eStack, account: LocalAccount, name: string): Promise<string> {
  const { page, context } = await stack.openPage("/dashboard", account);
  await page.getByTestId("dashboard-sign-in").click();
  await page.getByTestId("merchant-create").locator('input[name="name"]').fill(name);
  await page.getByTestId("merchant-create-submit").click();
  await page.getByTestId("signed-in-address").waitFor();
  await page.getByTestId("tab-keys").click();
  await page.locator('input[name="keyName"]').fill("e2e");
  await page.getByTestId("api-key-create").click();
  const key = (await page.getByTestId("api-key-secret").innerText()).trim();
  await context.close();
  return key;
}

export async function apiOrder(baseUrl: string, apiKey: string, body: Record<string, unknown>, path = "/api/v1/orders"): Promise<{ id: string; status: string; depositAddress: `0x${string}` }> {
  const response = await fetch(new URL(path, baseUrl), {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: HTTP ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as never;
}
