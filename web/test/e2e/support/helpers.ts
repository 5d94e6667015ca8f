import type { Locator, Page } from "playwright-core";
import { erc20Abi, type Address } from "viem";
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
