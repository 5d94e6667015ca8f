import { APPS } from "../components/apps/app-nav.ts";
import { ConnectWalletButton } from "../components/connect-wallet-button.tsx";
import { Logo } from "../components/logo.tsx";
import { NetworkStatusCard } from "../components/network-status-card.tsx";
import { QrMotif } from "../components/qr-motif.tsx";
import { serverServices } from "./lib/server-services.ts";

const features = [
  {
    title: "Checkout links & QR at the till",
    body: "Every order gets a payment link and an EIP-681 QR code with its own deposit address. Customers pay from any wallet; the till sees it settle live.",
    icon: "M4 4h6v6H4zM14 4h6v6h-6zM4 14h6v6H4zM14 14h2v2h-2zM18 18h2v2h-2z",
  },
  {
    title: "SDK & REST for game studios",
    body: "A typed TypeScript SDK, REST API with idempotency keys, signed webhooks and a WebSocket feed: sell in-game items and credit players the moment funds arrive.",
    icon: "M8 9l-4 3 4 3M16 9l4 3-4 3M13 6l-2 12",
  },
  {
    title: "Revenue splits",
    body: "Route every payment down and up your account hierarchy in the same transaction: platform fee, partners, franchisees. Versioned rules, on-chain receipts.",
    icon: "M12 4v6m0 0l-6 6m6-6l6 6M6 16v4m12-4v4",
  },
  {
    title: "Loyalty",
    body: "A loyalty token per merchant, minted at your rate when a payment settles, clawed back on refund and redeemable only with you.",
    icon: "M12 3l2.6 5.6 6.1.7-4.5 4.2 1.2 6L12 16.6 6.6 19.5l1.2-6-4.5-4.2 6.1-.7z",
  },
  {
    title: "Escrow",
    body: "Hold funds until delivery with deadlines, dispute windows and a capped arbiter fee. No decision in time means a full refund.",
    icon: "M6 10V8a6 6 0 1 1 12 0v2M5 10h14v10H5z",
  },
  {
    title: "Credit payments",
    body: "Borrow against collateral and pay a merchant in one transaction, from isolated lending markets with transparent liquidation rules.",
    icon: "M3 7h18v10H3zM3 11h18M7 15h3",
  },
  {
    title: "Subscriptions",
    body: "Recurring plans charged once per period from an allowance or signed terms. Subscribers cancel any time; no period is ever charged twice.",
    icon: "M4 12a8 8 0 0 1 14-5.3M20 12a8 8 0 0 1-14 5.3M18 3v4h-4M6 21v-4h4",
  },
  {
    title: "P2P ruble desk",
    body: "Buyers and sellers of in-game currency settle in rubles through the sellers' own payment providers, matched and escrowed by a double-entry ledger.",
    icon: "M7 7h10l-3-3M17 17H7l3 3",
  },
] as const;

const steps = [
  { label: "Create an order", detail: "POST /api/v1/orders or one SDK call" },
  { label: "Customer pays", detail: "Connected wallet or QR from any wallet" },
  { label: "Settled & notified", detail: "Webhook, WebSocket event, receipt on-chain" },
] as const;

export default async function HomePage() {
  const { network } = await serverServices();
  const initialNetworkStatus = await network.status();

  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-30 border-b border-slate-200/70 bg-white/80 backdrop-blur">
        <div className="mx-auto flex max-w-6xl items-center justify-between gap-4 px-4 py-3 sm:px-6">
          <a href="#top" className="text-slate-900">
            <Logo className="text-lg" />
          </a>
          <nav className="hidden items-center gap-6 text-sm text-slate-600 md:flex">
            <a href="#features" className="hover:text-slate-900">Features</a>
            <a href="#developers" className="hover:text-slate-900">Developers</a>
            <a href="#network" className="hover:text-slate-900">Network</a>
            <a href="/dashboard" className="hover:text-slate-900">Dashboard</a>
            <a href="/pos" className="hover:text-slate-900">Point of sale</a>
            <a href="/escrow" className="font-medium text-brand-700 hover:text-slate-900">Apps</a>
          </nav>
          <ConnectWalletButton />
        </div>
      </header>

      <main id="top">
        <section className="relative overflow-hidden bg-ink-950 text-white">
          <div
            className="pointer-events-none absolute inset-0 bg-[radial-gradient(60%_60%_at_80%_20%,oklch(0.66_0.15_165/0.35),transparent),radial-gradient(40%_50%_at_10%_90%,oklch(0.55_0.2_265/0.35),transparent)]"
            aria-hidden
          />
          <div className="relative mx-auto grid max-w-6xl items-center gap-12 px-4 py-20 sm:px-6 md:grid-cols-[1.2fr_1fr] md:py-28">
            <div>
              <p className="inline-flex rounded-full border border-white/15 bg-white/5 px-3 py-1 text-xs font-medium text-brand-100">
                Open source · EVM chains · Stablecoins
              </p>
              <h1 className="mt-6 text-4xl font-semibold tracking-tight text-balance sm:text-5xl lg:text-6xl">
                Crypto payments for every till, checkout and game.
              </h1>
              <p className="mt-6 max-w-xl text-lg text-slate-300 text-pretty">
                CoinPays turns a wallet address into a payment business: checkout links and QR codes, an SDK for
                developers, revenue splits, loyalty, escrow and credit, settled on-chain and reported in real time.
              </p>
              <div className="mt-8 flex flex-wrap gap-3">
                <a
                  href="#developers"
                  className="rounded-full bg-brand-500 px-5 py-2.5 text-sm font-semibold text-ink-950 shadow hover:bg-brand-100"
                >
                  Start integrating
                </a>
                <a
                  href="#network"
                  className="rounded-full border border-white/20 px-5 py-2.5 text-sm font-semibold text-white hover:bg-white/10"
                >
                  Network status
                </a>
              </div>
            </div>

            <div className="mx-auto w-full max-w-sm rounded-3xl bg-white p-6 text-slate-900 shadow-2xl ring-1 ring-white/10">
              <div className="flex items-center justify-between text-sm">
                <span className="font-semibold">Corner Café · Till 2</span>
                <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800">
                  Awaiting payment
                </span>
              </div>
              <div className="mx-auto my-6 size-48 text-ink-950">
                <QrMotif />
              </div>
              <div className="flex items-end justify-between">
                <div>
                  <p className="text-xs text-slate-500">Order #1042</p>
                  <p className="text-2xl font-semibold tabular-nums">24.90 USDC</p>
                </div>
                <p className="text-right text-xs text-slate-500">
                  Expires in
                  <br />
                  <span className="font-mono text-sm text-slate-800">14:32</span>
                </p>
              </div>
            </div>
          </div>
        </section>

        <section className="border-b border-slate-100 bg-slate-50">
          <ol className="mx-auto grid max-w-6xl gap-6 px-4 py-10 sm:px-6 md:grid-cols-3">
            {steps.map((step, index) => (
              <li key={step.label} className="flex items-start gap-4">
                <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-brand-600 text-sm font-semibold text-white">
                  {index + 1}
                </span>
                <div>
                  <p className="font-semibold text-slate-900">{step.label}</p>
                  <p className="text-sm text-slate-600">{step.detail}</p>
                </div>
              </li>
            ))}
          </ol>
        </section>

        <section id="features" className="mx-auto max-w-6xl scroll-mt-20 px-4 py-20 sm:px-6">
          <h2 className="text-3xl font-semibold tracking-tight text-slate-900">One platform, every way to get paid</h2>
          <p className="mt-3 max-w-2xl text-slate-600">
            Money stays in integer base units end to end, every state change is an event, and every rule that moves
            funds lives in an audited contract.
          </p>
          <div className="mt-10 grid gap-5 sm:grid-cols-2 lg:grid-cols-4">
            {features.map((feature) => (
              <article
                key={feature.title}
                className="rounded-2xl border border-slate-200 p-6 transition hover:-translate-y-0.5 hover:shadow-md"
              >
                <span className="flex size-10 items-center justify-center rounded-xl bg-brand-50 text-brand-700">
                  <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
                    <path d={feature.icon} />
                  </svg>
                </span>
                <h3 className="mt-4 font-semibold text-slate-900">{feature.title}</h3>
                <p className="mt-2 text-sm leading-relaxed text-slate-600">{feature.body}</p>
              </article>
            ))}
          </div>
        </section>

        <section id="developers" className="scroll-mt-20 bg-ink-950 text-white">
          <div className="mx-auto grid max-w-6xl items-center gap-10 px-4 py-20 sm:px-6 md:grid-cols-2">
            <div>
              <h2 className="text-3xl font-semibold tracking-tight">Built for developers</h2>
              <p className="mt-4 text-slate-300">
                Create orders from your game server or POS with the typed <code className="font-mono">@coinpays/sdk</code>,
                or plain REST. Every POST takes an <code className="font-mono">Idempotency-Key</code>, webhooks are
                signed with HMAC-SHA256 and retried for days, and a WebSocket feed pushes each status change.
              </p>
              <ul className="mt-6 space-y-2 text-sm text-slate-300">
                <li>✓ BTCPay-compatible order states, explicit about under- and overpayment</li>
                <li>✓ ABIs and addresses generated from the deployments, never copied by hand</li>
                <li>✓ MIT licensed: run it yourself, on your chain</li>
              </ul>
            </div>
            <pre className="overflow-x-auto rounded-2xl bg-black/40 p-5 font-mono text-xs leading-relaxed text-slate-200 ring-1 ring-white/10 sm:text-sm">
              <code>{`curl -X POST $COINPAYS_URL/api/v1/orders \\
  -H "Authorization: Bearer $COINPAYS_API_KEY" \\
  -H "Idempotency-Key: order-1042" \\
  -d '{ "amount": "24900000",
        "token": "USDC",
        "reference": "order-1042" }'`}</code>
            </pre>
          </div>
        </section>

        <section id="network" className="mx-auto max-w-6xl scroll-mt-20 px-4 py-20 sm:px-6">
          <div className="grid gap-10 md:grid-cols-[1fr_1.4fr]">
            <div>
              <h2 className="text-3xl font-semibold tracking-tight text-slate-900">Live on your chain</h2>
              <p className="mt-3 text-slate-600">
                This server is connected to the chain below. The contract addresses come straight from the deployment
                records, so what you see is what your payments will use.
              </p>
            </div>
            <NetworkStatusCard initialStatus={initialNetworkStatus} />
          </div>
        </section>
      </main>

      <footer className="border-t border-slate-200">
        <div className="mx-auto flex max-w-6xl flex-col items-center justify-between gap-3 px-4 py-8 text-sm text-slate-500 sm:flex-row sm:px-6">
          <Logo className="text-slate-700" />
          <nav aria-label="Apps" className="flex flex-wrap items-center gap-4">
            <span className="font-medium text-slate-700">Apps:</span>
            {APPS.map((app) => (
              <a key={app.href} href={app.href} className="hover:text-slate-900">
                {app.label}
              </a>
            ))}
          </nav>
          <p>Open-source crypto payments · MIT License</p>
        </div>
      </footer>
    </div>
  );
}
