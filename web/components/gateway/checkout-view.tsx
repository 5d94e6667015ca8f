"use client";

import { formatAmount } from "@coinpays/sdk";
import { paymentRouterAbi } from "@coinpays/sdk/contracts";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { zeroAddress, type Abi, type Address, type Hex } from "viem";
import { useAccount } from "wagmi";
import type { CheckoutOrder } from "../../app/lib/checkout-data.ts";
import { useDeployment } from "../apps/ui.tsx";
import { TxStatus, useTransactionFlow, type TransactionFlow } from "../apps/tx-flow.tsx";
import { CreditPay } from "./credit-pay.tsx";
import { formatCountdown, PAID_STATUSES, STATUS_LABEL, useCountdown, useLiveOrder } from "./use-live-order.ts";

const TONE: Record<string, string> = {
  new: "bg-sky-100 text-sky-800",
  processing: "bg-amber-100 text-amber-800",
  underpaid: "bg-amber-100 text-amber-800",
  settled: "bg-emerald-100 text-emerald-800",
  overpaid: "bg-emerald-100 text-emerald-800",
  paid_late: "bg-emerald-100 text-emerald-800",
  expired: "bg-slate-200 text-slate-700",
  cancelled: "bg-slate-200 text-slate-700",
  refunded: "bg-violet-100 text-violet-800",
  partially_refunded: "bg-violet-100 text-violet-800",
  invalid: "bg-red-100 text-red-800",
};

export function CheckoutView({ initial }: { initial: CheckoutOrder }) {
  const router = useRouter();
  const { snapshot, connection } = useLiveOrder(initial.id);
  const status = snapshot?.status ?? initial.status;
  const amounts = {
    amount: BigInt(snapshot?.amount ?? initial.amount),
    paid: BigInt(snapshot?.amountPaid ?? initial.amountPaid),
    pending: BigInt(snapshot?.amountPending ?? initial.amountPending),
    refunded: BigInt(snapshot?.amountRefunded ?? initial.amountRefunded),
    due: BigInt(snapshot?.amountDue ?? initial.amountDue),
  };
  const { symbol, decimals } = initial.token;
  const fmt = (value: bigint) => `${formatAmount(value, decimals)} ${symbol}`;
  const secondsLeft = useCountdown(snapshot?.expiresAt ?? initial.expiresAt);

  // A change seen live brings the receipt details (transactions, time) through a fresh server render;
  // repeated until the server render has caught up with what the WebSocket said.
  const stale = snapshot !== undefined && (snapshot.status !== initial.status || snapshot.amountPaid !== initial.amountPaid);
  useEffect(() => {
    if (!stale) return;
    const timer = setTimeout(() => router.refresh(), 250);
    return () => clearTimeout(timer);
  }, [stale, snapshot, initial, router]);

  const paid = PAID_STATUSES.has(status);
  const canPay = status === "new" || status === "underpaid";
  // The payer's wallet transactions are held here, not in the pay section: the watcher often sees a payment
  // before the wallet has its receipt, the order turns paid and the section goes, and the payer should still
  // see how their transaction ended.
  const walletFlow = useTransactionFlow();
  const creditFlow = useTransactionFlow();

  return (
    <div className="mx-auto grid max-w-4xl gap-6 lg:grid-cols-[1fr_1.1fr]" data-testid="checkout" data-status={status}>
      <section className="rounded-3xl border border-slate-200 bg-white p-6 shadow-sm">
        <p className="text-xs font-medium uppercase tracking-wide text-slate-500">Amount to pay</p>
        <p className="mt-1 text-4xl font-semibold tracking-tight text-slate-900" data-testid="checkout-amount">
          {formatAmount(amounts.amount, decimals)} <span className="text-2xl text-slate-500">{symbol}</span>
        </p>
        {initial.reference && <p className="mt-1 text-sm text-slate-500">Order {initial.reference}</p>}
        <div className="mt-4 flex flex-wrap items-center gap-2">
          <span className={`inline-flex rounded-full px-3 py-1 text-sm font-semibold ${TONE[status] ?? TONE.new}`} data-testid="checkout-status">
            {STATUS_LABEL[status] ?? status}
          </span>
          <span className="inline-flex items-center gap-1.5 text-xs text-slate-500" data-testid="live-connection" data-state={connection}>
            <span className={`size-2 rounded-full ${connection === "live" ? "bg-emerald-500" : "bg-amber-400"}`} aria-hidden />
            {connection === "live" ? "Live" : connection === "connecting" ? "Connecting…" : "Reconnecting…"}
          </span>
        </div>
        <StatusMessage status={status} fmt={fmt} amounts={amounts} secondsLeft={secondsLeft} />
        {paid && <Receipt order={initial} fmt={fmt} paidAmount={amounts.paid} />}
        {!canPay && (
          <>
            <TxStatus state={walletFlow.state} earlier={walletFlow.earlier} />
            <TxStatus state={creditFlow.state} earlier={creditFlow.earlier} />
          </>
        )}
        {(status === "refunded" || status === "partially_refunded") && (
          <p className="mt-3 text-sm text-slate-600" data-testid="checkout-refunded-amount">Refunded: {fmt(amounts.refunded)}</p>
        )}
      </section>

      {canPay && (
        <section className="rounded-3xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="checkout-pay">
          <h2 className="font-semibold text-slate-900">Pay {fmt(amounts.due)}</h2>
          <p className="mt-1 text-sm text-slate-600">Scan with any wallet, send to the deposit address, or connect your wallet here.</p>
          <div className="mt-4 flex flex-col items-center gap-4 sm:flex-row sm:items-start">
            {/* eslint-disable-next-line @next/next/no-img-element */}
            <img
              src={`/api/v1/orders/${initial.id}/qr.svg`}
              alt="Payment QR code (EIP-681)"
              width={176}
              height={176}
              className="size-44 rounded-2xl border border-slate-200 bg-white"
              data-testid="checkout-qr"
            />
            <div className="min-w-0 flex-1 space-y-3 text-sm">
              <CopyField label="Deposit address" value={initial.depositAddress} testId="deposit-address" />
              <p className="text-xs text-slate-500">
                Send exactly {fmt(amounts.due)} on chain {initial.chainId}
                {initial.token.address !== zeroAddress && <> (token {initial.token.address.slice(0, 10)}…)</>}. Other tokens are not counted.
              </p>
            </div>
          </div>
          <WalletPay order={initial} amount={amounts.due} label={`Pay ${fmt(amounts.due)}`} flow={walletFlow} />
          <CreditPay order={initial} amount={amounts.due} flow={creditFlow} />
        </section>
      )}
    </div>
  );
}

function StatusMessage({ status, fmt, amounts, secondsLeft }: { status: string; fmt: (v: bigint) => string; amounts: { amount: bigint; paid: bigint; pending: bigint; due: bigint }; secondsLeft?: number }) {
  const box = (tone: string, children: React.ReactNode) => (
    <div className={`mt-4 rounded-2xl border p-4 text-sm ${tone}`} data-testid="checkout-message">
      {children}
    </div>
  );
  switch (status) {
    case "new":
      return box(
        "border-sky-200 bg-sky-50 text-sky-900",
        <>
          <p className="font-medium">Waiting for your payment.</p>
          {secondsLeft !== undefined && (
            <p className="mt-1" data-testid="checkout-countdown">
              {secondsLeft > 0 ? <>This order expires in <span className="font-mono font-semibold">{formatCountdown(secondsLeft)}</span>.</> : "Expiring now…"}
            </p>
          )}
        </>,
      );
    case "processing":
      return box("border-amber-200 bg-amber-50 text-amber-900", <>
        <p className="font-medium">Payment seen: waiting for confirmations.</p>
        <p className="mt-1">{fmt(amounts.pending)} is on its way. This page updates by itself; you can keep it open or close it.</p>
      </>);
    case "underpaid":
      return box("border-amber-200 bg-amber-50 text-amber-900", <>
        <p className="font-medium">Partially paid: {fmt(amounts.due)} still due.</p>
        <p className="mt-1" data-testid="checkout-due">Received {fmt(amounts.paid)} of {fmt(amounts.amount)}. Send the remaining {fmt(amounts.due)} to complete the order.</p>
        {secondsLeft !== undefined && secondsLeft > 0 && <p className="mt-1">Time left: <span className="font-mono">{formatCountdown(secondsLeft)}</span></p>}
      </>);
    case "settled":
      return box("border-emerald-200 bg-emerald-50 text-emerald-900", <p className="font-medium">Payment received. Thank you!</p>);
    case "overpaid":
      return box("border-emerald-200 bg-emerald-50 text-emerald-900", <>
        <p className="font-medium">Payment received. Thank you!</p>
        <p className="mt-1">You sent {fmt(amounts.paid - amounts.amount)} more than asked; contact the merchant for the difference.</p>
      </>);
    case "paid_late":
      return box("border-emerald-200 bg-emerald-50 text-emerald-900", <>
        <p className="font-medium">Payment received after the order expired.</p>
        <p className="mt-1">The merchant has been told; they decide whether to fulfil or refund it.</p>
      </>);
    case "expired":
      return box("border-slate-200 bg-slate-50 text-slate-700", <>
        <p className="font-medium">This order expired without payment.</p>
        <p className="mt-1">Please do not send funds to it any more; ask the merchant for a new payment link.</p>
      </>);
    case "cancelled":
      return box("border-slate-200 bg-slate-50 text-slate-700", <p className="font-medium">The merchant cancelled this order. Do not send funds to it.</p>);
    case "refunded":
      return box("border-violet-200 bg-violet-50 text-violet-900", <p className="font-medium">This payment was refunded in full.</p>);
    case "partially_refunded":
      return box("border-violet-200 bg-violet-50 text-violet-900", <p className="font-medium">Part of this payment was refunded.</p>);
    default:
      return box("border-red-200 bg-red-50 text-red-900", <p className="font-medium">This order is no longer payable (its payment was reversed on chain). Contact the merchant.</p>);
  }
}

function Receipt({ order, fmt, paidAmount }: { order: CheckoutOrder; fmt: (v: bigint) => string; paidAmount: bigint }) {
  const confirmed = order.payments.filter((p) => p.status === "confirmed");
  return (
    <div className="mt-4 rounded-2xl border border-slate-200 p-4 text-sm" data-testid="checkout-receipt">
      <h2 className="font-semibold text-slate-900">Receipt</h2>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        <dt className="text-slate-500">Amount paid</dt>
        <dd className="font-mono" data-testid="receipt-amount">{fmt(paidAmount)}</dd>
        <dt className="text-slate-500">Order</dt>
        <dd className="truncate font-mono">{order.id}</dd>
        {order.settledAt && (
          <>
            <dt className="text-slate-500">Paid at</dt>
            <dd data-testid="receipt-time">{new Date(order.settledAt).toLocaleString()}</dd>
          </>
        )}
        {confirmed.map((payment) => (
          <FragmentRow key={payment.transactionHash} label="Transaction" value={payment.transactionHash} />
        ))}
      </dl>
      {order.redirectUrl && (
        <a href={order.redirectUrl} className="mt-4 inline-flex rounded-full bg-brand-600 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-700" data-testid="receipt-redirect">
          Return to the merchant
        </a>
      )}
    </div>
  );
}

function FragmentRow({ label, value }: { label: string; value: string }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="truncate font-mono text-xs leading-5" title={value} data-testid="receipt-tx">{value}</dd>
    </>
  );
}

function CopyField({ label, value, testId }: { label: string; value: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div>
      <p className="text-xs font-medium text-slate-500">{label}</p>
      <div className="mt-1 flex items-center gap-2">
        <code className="min-w-0 flex-1 break-all rounded-xl bg-slate-100 px-3 py-2 font-mono text-xs text-slate-800" data-testid={testId}>{value}</code>
        <button
          type="button"
          className="rounded-full bg-slate-100 px-3 py-2 text-xs font-semibold text-slate-800 hover:bg-slate-200"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}

/** Connect-wallet-and-pay through PaymentRouter.pay(orderRef, destination, token, amount), approving first for ERC-20s. */
function WalletPay({ order, amount, label, flow }: { order: CheckoutOrder; amount: bigint; label: string; flow: TransactionFlow }) {
  const { status } = useAccount();
  const deployment = useDeployment();
  const router = deployment?.contracts.PaymentRouter.address as Address | undefined;
  const native = order.token.address === zeroAddress;
  if (!deployment || !router || deployment.chainId !== order.chainId) {
    return <p className="mt-5 text-sm text-slate-500">Paying from a connected wallet is not available on this chain here; use the QR code or address.</p>;
  }
  return (
    <div className="mt-5 border-t border-slate-100 pt-5">
      {status !== "connected" ? (
        <p className="text-sm text-slate-600" data-testid="checkout-connect-hint">Connect your wallet (top right) to pay in one click.</p>
      ) : (
        <button
          type="button"
          data-testid="checkout-pay-button"
          disabled={flow.busy || amount === 0n}
          onClick={() =>
            void flow.run(
              label,
              {
                address: router,
                abi: paymentRouterAbi as Abi,
                functionName: "pay",
                args: [order.orderRef as Hex, order.destination as Address, order.token.address as Address, amount],
                value: native ? amount : undefined,
              },
              native ? undefined : { token: order.token.address as Address, spender: router, amount, symbol: order.token.symbol },
            )
          }
          className="w-full rounded-full bg-brand-600 px-5 py-3 text-base font-semibold text-white shadow-sm transition hover:bg-brand-700 disabled:cursor-not-allowed disabled:opacity-50"
        >
          {flow.busy ? "Paying…" : label}
        </button>
      )}
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </div>
  );
}
