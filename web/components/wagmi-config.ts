import { defineChain } from "viem";
import { createConfig, http, injected } from "wagmi";
import type { PublicChainConfig } from "../server/registry.ts";

/**
 * Wallets come from the browser only: the generic `injected()` connector plus every wallet that
 * announces itself through EIP-6963 (wagmi's multiInjectedProviderDiscovery). Connectors that need
 * downloads or SDKs (WalletConnect, Coinbase, RainbowKit's defaults) are deliberately left out.
 */
export function createWagmiConfig(chainConfig: PublicChainConfig) {
  const chain = defineChain({
    id: chainConfig.id,
    name: chainConfig.name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chainConfig.rpcUrl] } },
  });
  return createConfig({
    chains: [chain],
    connectors: [injected()],
    multiInjectedProviderDiscovery: true,
    transports: { [chain.id]: http(chainConfig.rpcUrl) },
    // Render "disconnected" on the server and reconnect after hydration: no markup mismatch.
    ssr: true,
  });
}
