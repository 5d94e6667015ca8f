import type { ReactNode } from "react";
import { ConnectWalletButton } from "../../components/connect-wallet-button.tsx";
import { Logo } from "../../components/logo.tsx";

export default function GatewayLayout({ children }: { children: ReactNode }) {
  return (
    <div className="min-h-screen bg-slate-50">
      <header className="sticky top-0 z-30 border-b border-slate-200/70 bg-white/90 backdrop-blur">
        <div className="mx-auto flex max-w-6xl items-center justify-between gap-4 px-4 py-3 sm:px-6">
          <a href="/" className="text-slate-900">
            <Logo className="text-lg" />
          </a>
          <nav aria-label="Gateway" className="flex flex-wrap items-center gap-4 text-sm text-slate-600">
            <a href="/dashboard" className="hover:text-slate-900">Dashboard</a>
            <a href="/dashboard/analytics" className="hover:text-slate-900">Analytics</a>
            <a href="/pos" className="hover:text-slate-900">Point of sale</a>
          </nav>
          <ConnectWalletButton />
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">{children}</main>
    </div>
  );
}
