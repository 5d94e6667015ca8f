// Which tokens an order may be in: deployed on the chain (the generated deployments module) and
// accepted by the merchant. A token is named by symbol ("USDC", case-insensitive), by address, or as
// the chain's native coin ("native", "ETH" or the zero address).
import { getAddress, isAddress, zeroAddress, type Address } from "viem";
import { findDeployment } from "../../contracts.ts";
import { unprocessable } from "../http/errors.ts";

export type OrderToken = { address: Address; symbol: string; decimals: number; native: boolean };

const NATIVE: Omit<OrderToken, "address"> = { symbol: "ETH", decimals: 18, native: true };

export function tokensOnChain(chainId: number): OrderToken[] {
  const deployment = findDeployment(chainId);
  if (!deployment) return [];
  return [
    { address: zeroAddress, ...NATIVE },
    ...deployment.tokens.map((token) => ({ address: getAddress(token.address), symbol: token.symbol, decimals: token.decimals, native: false })),
  ];
}

export function tokenByAddress(chainId: number, address: string): OrderToken | undefined {
  return tokensOnChain(chainId).find((token) => token.address.toLowerCase() === address.toLowerCase());
}

export function resolveToken(chainId: number, name: string, accepted: Record<string, string[]>): OrderToken {
  const tokens = tokensOnChain(chainId);
  const wanted = name.trim();
  const token = isAddress(wanted, { strict: false })
    ? tokens.find((candidate) => candidate.address.toLowerCase() === wanted.toLowerCase())
    : wanted.toLowerCase() === "native"
      ? tokens.find((candidate) => candidate.native)
      : tokens.find((candidate) => candidate.symbol.toLowerCase() === wanted.toLowerCase());
  if (!token) {
    throw unprocessable("token_not_supported", `Token "${name}" is not deployed on chain ${chainId}; available: ${tokens.map((t) => t.symbol).join(", ")}`, [
      { field: "token", message: "unknown on this chain" },
    ]);
  }
  const list = accepted[String(chainId)];
  if (list && list.length > 0) {
    const ok = list.some((entry) => (entry === "native" ? token.native : entry.toLowerCase() === token.address.toLowerCase()));
    if (!ok) throw unprocessable("token_not_accepted", `The merchant does not accept ${token.symbol} on chain ${chainId}`, [{ field: "token", message: "not accepted by this merchant" }]);
  }
  return token;
}
