import { getAddress, isAddress, type Address } from "viem";

/**
 * EIP-681 payment request URIs, the format wallets understand when they scan a payment QR code:
 *   native coin: ethereum:<recipient>@<chainId>?value=<wei>
 *   ERC-20:      ethereum:<token>@<chainId>/transfer?address=<recipient>&uint256=<base units>
 * Amounts are always integers in base units; we write them as plain digits (some wallets misread
 * exponent notation) and accept exponent notation when parsing, as the EIP allows.
 */
export type PaymentRequest =
  | { kind: "native"; chainId: number; recipient: Address; amount: bigint }
  | { kind: "erc20"; chainId: number; token: Address; recipient: Address; amount: bigint };

export class PaymentUriError extends Error {
  override readonly name = "PaymentUriError";
}

export function buildPaymentUri(request: PaymentRequest): string {
  if (!Number.isSafeInteger(request.chainId) || request.chainId <= 0) {
    throw new PaymentUriError(`chainId must be a positive integer, got ${request.chainId}`);
  }
  if (request.amount <= 0n) throw new PaymentUriError("amount must be greater than zero");
  const recipient = checkedAddress(request.recipient, "recipient");
  if (request.kind === "native") {
    return `ethereum:${recipient}@${request.chainId}?value=${request.amount}`;
  }
  const token = checkedAddress(request.token, "token");
  return `ethereum:${token}@${request.chainId}/transfer?address=${recipient}&uint256=${request.amount}`;
}

const URI = /^ethereum:(?:pay-)?(0x[0-9a-fA-F]{40})(?:@(\d+))?(?:\/([A-Za-z_][A-Za-z0-9_]*))?(?:\?(.*))?$/;

/**
 * Parses the subset of EIP-681 that pays someone: a native transfer or an ERC-20 `transfer`. A missing
 * chain id is rejected rather than defaulted, because paying on the wrong chain loses the payment.
 */
export function parsePaymentUri(uri: string): PaymentRequest {
  const match = URI.exec(uri.trim());
  if (!match) throw new PaymentUriError("not an EIP-681 ethereum: URI");
  const [, target, chain, fn, query = ""] = match;
  if (!chain) throw new PaymentUriError("the URI has no chain id");
  const chainId = Number(chain);
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new PaymentUriError(`bad chain id ${chain}`);
  const params = new URLSearchParams(query);

  if (fn === undefined) {
    const value = params.get("value");
    if (value === null) throw new PaymentUriError("a native payment URI needs a value");
    return { kind: "native", chainId, recipient: getAddress(target!), amount: parseUriNumber(value) };
  }
  if (fn !== "transfer") throw new PaymentUriError(`unsupported function ${fn}`);
  const recipient = params.get("address");
  const amount = params.get("uint256");
  if (!recipient || !isAddress(recipient, { strict: false })) throw new PaymentUriError("transfer needs an address parameter");
  if (amount === null) throw new PaymentUriError("transfer needs a uint256 parameter");
  return { kind: "erc20", chainId, token: getAddress(target!), recipient: getAddress(recipient), amount: parseUriNumber(amount) };
}

/** EIP-681 number: digits with an optional fraction and exponent; it must denote a positive integer. */
function parseUriNumber(text: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?(?:[eE](\d+))?$/.exec(text);
  if (!match) throw new PaymentUriError(`bad amount "${text}"`);
  const [, whole, fraction = "", exponent = "0"] = match;
  const exp = Number(exponent);
  if (exp > 77) throw new PaymentUriError(`amount "${text}" is out of range`);
  const trimmed = fraction.replace(/0+$/, "");
  if (trimmed.length > exp) throw new PaymentUriError(`amount "${text}" is not a whole number of base units`);
  const amount = BigInt(whole! + trimmed) * 10n ** BigInt(exp - trimmed.length);
  if (amount <= 0n) throw new PaymentUriError("amount must be greater than zero");
  return amount;
}

function checkedAddress(value: string, field: string): Address {
  if (!isAddress(value, { strict: false })) throw new PaymentUriError(`${field} is not an address: ${value}`);
  return getAddress(value);
}
