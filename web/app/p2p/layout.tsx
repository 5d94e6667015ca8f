import type { ReactNode } from "react";
import { Logo } from "../../components/logo.tsx";

export const metadata = { title: "CoinPays P2P desk" };

export default function P2PLayout({ children }: { children: ReactNode }) {
  return (
    <div className="min-h-screen bg-slate-50">
      <header className="border-b border-slate-200/70 bg-white/80 backdrop-blur">
        <div className="mx-auto flex max-w-6xl items-center justify-between gap-4 px-4 py-3 sm:px-6">
          <a href="/" className="text-slate-900">
            <Logo className="text-lg" />
          </a>
          <nav className="flex items-center gap-5 text-sm text-slate-600">
            <a href="/p2p" className="hover:text-slate-900">Desk</a>
            <a href="/p2p/seller" className="hover:text-slate-900">Sell</a>
            <a href="/p2p/buy" className="hover:text-slate-900">Top up</a>
            <a href="/p2p/operator" className="hover:text-slate-900">Operator</a>
            <a href="/p2p/dev/outbox" className="hover:text-slate-900">Dev outbox</a>
          </nav>
        </div>
      </header>
      <main className="mx-auto max-w-6xl space-y-6 px-4 py-8 sm:px-6">{children}</main>
    </div>
  );
}
