import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { Providers } from "../components/providers.tsx";
import { serverServices } from "./lib/server-services.ts";
import "./globals.css";

export const metadata: Metadata = {
  title: "CoinPays: open-source crypto payments",
  description:
    "Checkout links and QR codes at the till, an SDK and REST API for game studios, revenue splits, loyalty, escrow, credit payments and a P2P ruble desk, on any EVM chain.",
};

export const viewport: Viewport = { themeColor: "#0b1220" };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The wallet layer talks to the chain this server is configured for.
  const { chain } = await serverServices();
  return (
    <html lang="en">
      <body>
        <Providers chain={chain}>{children}</Providers>
      </body>
    </html>
  );
}
