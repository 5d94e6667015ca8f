// Read-only access to the configured EVM chain.
import { createPublicClient, defineChain, http, type Chain, type PublicClient } from "viem";
import type { ServerConfig } from "./config.ts";
import { findDeployment } from "./contracts.ts";

export function configuredChain(config: Pick<ServerConfig, "chainId" | "rpcUrl">): Chain {
  return defineChain({
    id: config.chainId,
    name: findDeployment(config.chainId)?.name ?? `Chain ${config.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
}

export function createChainClient(config: Pick<ServerConfig, "chainId" | "rpcUrl">): PublicClient {
  return createPublicClient({
    chain: configuredChain(config),
    // Status checks must answer quickly: a dead RPC is reported as down, not retried for seconds.
    transport: http(config.rpcUrl, { timeout: 2_000, retryCount: 0 }),
  });
}
