"use client";

// "Pay with credit" on the checkout page: when the connected payer has collateral in a lending market whose
// loan token is the order's token, borrow the amount due and pay the order with it in one transaction through
// CreditPayment. The router then emits PaymentSettled for (order.destination, order.orderRef, amount), which the
// gateway watcher settles exactly like a wallet payment.
import { useState } from "react";
import { isAddressEqual, type Address, type Hex } from "viem";
import { useAccount, useReadContracts } from "wagmi";
import type { CheckoutOrder } from "../../app/lib/checkout-data.ts";
import { creditPaymentCallAbi } from "../apps/credit-payment-abi.ts";
import { HealthBadge, lendingAbi, priceInLoan, useMarkets, useMarketState, usePosition, type LendingMarketInfo } from "../apps/lending-data.tsx";
import { quoteCredit, type CreditQuote, type Position } from "../apps/lending-math.ts";
import { TxStatus, type TransactionFlow } from "../apps/tx-flow.tsx";
import { fmt, tokenOf, useDeployment, useTokens, type TokenInfo } from "../apps/ui.tsx";

export function CreditPay({ order, amount, flow }: { order: CheckoutOrder; amount: bigint; flow: TransactionFlow }) {
  const { address, status } = useAccount();
  const deployment = useDeployment();
  const lending = deployment?.contracts.CoinPaysLending.address as Address | undefined;
  const creditPayment = deployment?.contracts.CreditPayment.address as Address | undefined;
  const markets = useMarkets().filter((m) => isAddressEqual(m.params.loanToken, order.token.address as Address));
  const { data: positions } = useReadContracts({
    contracts: markets.map((m) => ({ address: lending, abi: lendingAbi, functionName: "position", args: [m.id, address] })),
    query: { enabled: !!address && !!lending && markets.length > 0, refetchInterval: 4_000 },
  });
  const withCollateral = markets.filter((_, i) => ((positions?.[i]?.result as Position | undefined)?.collateral ?? 0n) > 0n);
  const [chosen, setChosen] = useState<Hex>();
  const tokens = useTokens();

  // Nothing to offer without collateral backing a loan in the order's token (the hidden marker lets a test
  // tell "read, nothing to offer" from "not read yet").
  if (status !== "connected" || !address || !lending || !creditPayment || deployment?.chainId !== order.chainId || amount === 0n) return null;
  if (withCollateral.length === 0) return positions || markets.length === 0 ? <span hidden data-testid="credit-pay-none" /> : null;
  const market = withCollateral.find((m) => m.id === chosen) ?? withCollateral[0]!;
  const loan: TokenInfo = { symbol: order.token.symbol, address: order.token.address as Address, decimals: order.token.decimals };
  const label = (m: LendingMarketInfo) => `${loan.symbol} / ${tokenOf(tokens, m.params.collateralToken).symbol} · LLTV ${fmt(m.params.lltv * 100n, 18)}%`;

  return (
    <div className="mt-5 border-t border-slate-100 pt-5" data-testid="credit-pay">
      <h3 className="font-semibold text-slate-900">Pay with credit</h3>
      <p className="mt-1 text-sm text-slate-600">Borrow {fmt(amount, loan.decimals, loan.symbol)} against your collateral and pay in one transaction. You repay the loan later on the lending page.</p>
      {withCollateral.length > 1 ? (
        <label className="mt-3 block text-sm">
          <span className="font-medium text-slate-700">Market</span>
          <select
            data-testid="credit-market"
            className="mt-1 w-full rounded-xl border border-slate-300 bg-white px-3 py-2 text-sm"
            value={market.id}
            onChange={(e) => setChosen(e.target.value as Hex)}
          >
            {withCollateral.map((m) => (
              <option key={m.id} value={m.id}>
                {label(m)}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <p className="mt-3 text-sm text-slate-700" data-testid="credit-market-name">Market: {label(market)}</p>
      )}
      <CreditQuoteView key={market.id} market={market} order={order} amount={amount} loan={loan} coll={tokenOf(tokens, market.params.collateralToken)} account={address} lending={lending} creditPayment={creditPayment} flow={flow} />
    </div>
  );
}

function CreditQuoteView({ market, order, amount, loan, coll, account, lending, creditPayment, flow }: { market: LendingMarketInfo; order: CheckoutOrder; amount: bigint; loan: TokenInfo; coll: TokenInfo; account: Address; lending: Address; creditPayment: Address; flow: TransactionFlow }) {
  const state = useMarketState(market.id, market.params);
  const { position, debt } = usePosition(market.id, market.params, account);
  const { data: settings } = useReadContracts({
    contracts: [
      { address: lending, abi: lendingAbi, functionName: "minBorrow", args: [market.params.loanToken] },
      { address: lending, abi: lendingAbi, functionName: "isAuthorized", args: [account, creditPayment] },
    ],
    query: { refetchInterval: 4_000 },
  });
  const minBorrow = settings?.[0]?.result as bigint | undefined;
  const authorized = settings?.[1]?.result as boolean | undefined;

  const loaded = position && debt !== undefined && state.totals && state.priceOk !== undefined && minBorrow !== undefined && authorized !== undefined;
  if (!loaded) return <p className="mt-3 text-sm text-slate-500">Reading your position…</p>;
  const quote = quoteCredit({ position, debt, totals: state.totals!, price: state.price, lltv: market.params.lltv, minBorrow, amount });
  const payLabel = `Pay ${fmt(amount, loan.decimals, loan.symbol)} with credit`;

  return (
    <div data-testid="credit-quote" data-ok={quote.ok ? "true" : "false"}>
      <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Collateral</dt>
        <dd className="font-mono" data-testid="credit-collateral">{fmt(position.collateral, coll.decimals, coll.symbol)}</dd>
        <dt className="text-slate-500">You borrow</dt>
        <dd className="font-mono" data-testid="credit-borrow">{fmt(amount, loan.decimals, loan.symbol)}</dd>
        <dt className="text-slate-500">Debt after</dt>
        <dd className="font-mono" data-testid="credit-debt-after">{fmt(quote.debtAfter, loan.decimals, loan.symbol)}</dd>
        <dt className="text-slate-500">Health factor after</dt>
        <dd data-testid="credit-health-after" data-value={quote.after?.hf === undefined ? "" : String(quote.after.hf)}>
          {quote.after ? <HealthBadge hf={quote.after.hf} /> : "…"}
        </dd>
        <dt className="text-slate-500">Liquidation price after</dt>
        <dd className="font-mono" data-testid="credit-liquidation-price">
          {quote.after?.liquidationPrice !== undefined ? `${priceInLoan(quote.after.liquidationPrice, coll, loan)} per ${coll.symbol}` : "—"}
        </dd>
        <dt className="text-slate-500">{coll.symbol} price now</dt>
        <dd className="font-mono">{priceInLoan(state.price, coll, loan)}</dd>
      </dl>
      {quote.ok ? (
        <>
          {!authorized && (
            <p className="mt-3 rounded-xl bg-slate-50 px-3 py-2 text-xs text-slate-600" data-testid="credit-authorise-hint">
              First time only: your wallet also asks you to let the CreditPayment contract borrow for you. It can only ever borrow for payments you send yourself.
            </p>
          )}
          <button
            type="button"
            data-testid="credit-pay-button"
            disabled={flow.busy}
            onClick={() =>
              void flow.run(
                payLabel,
                {
                  address: creditPayment,
                  abi: creditPaymentCallAbi,
                  functionName: "payWithCredit",
                  args: [market.params, order.orderRef as Hex, order.destination as Address, amount, quote.maxBorrowShares],
                },
                authorized ? undefined : { label: "Authorise credit payments", write: { address: lending, abi: lendingAbi, functionName: "setAuthorization", args: [creditPayment, true] } },
              )
            }
            className="mt-3 w-full rounded-full border border-brand-600 px-5 py-3 text-base font-semibold text-brand-700 shadow-sm transition hover:bg-brand-50 disabled:cursor-not-allowed disabled:opacity-50"
          >
            {flow.busy ? "Paying with credit…" : payLabel}
          </button>
        </>
      ) : (
        <p className="mt-3 rounded-xl border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="credit-unavailable" data-reason={quote.reason}>
          {refusalText(quote, amount, loan)}
        </p>
      )}
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </div>
  );
}

function refusalText(quote: Extract<CreditQuote, { ok: false }>, amount: bigint, loan: TokenInfo): string {
  const money = (value: bigint) => fmt(value, loan.decimals, loan.symbol);
  switch (quote.reason) {
    case "insufficient-collateral":
      return `Not enough borrowing capacity: your collateral supports ${money(quote.available)} more debt, this order needs ${money(amount)}. Deposit more collateral or repay some debt first.`;
    case "insufficient-liquidity":
      return `The market has only ${money(quote.available)} left to lend; this order needs ${money(amount)}.`;
    case "below-minimum":
      return `The market's minimum loan is ${money(quote.minBorrow)}; this order is too small to pay with credit.`;
    case "price-unavailable":
      return "The collateral's price feed is unavailable, so new borrowing is paused. Try again later or pay from your wallet.";
    case "no-collateral":
      return "You have no collateral in this market.";
  }
}
