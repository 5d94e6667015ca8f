"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { WagmiProvider } from "wagmi";
import type { PublicChainConfig } from "../server/registry.ts";
import { createWagmiConfig } from "./wagmi-config.ts";

export function Providers({ chain, children }: { chain: PublicChainConfig; children: ReactNode }) {
  // Created once per browser session (not per render), as wagmi and react-query expect.
  const [wagmiConfig] = useState(() => createWagmiConfig(chain));
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 5_000 } } }));
  return (
    <WagmiProvider config={wagmiConfig}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </WagmiProvider>
  );
}
