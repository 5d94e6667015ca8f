import type { Metadata } from "next";
import { CheckoutView } from "../../../../components/gateway/checkout-view.tsx";
import { readCheckoutOrder } from "../../../lib/checkout-data.ts";

export const metadata: Metadata = { title: "Checkout · CoinPays", robots: { index: false } };

export default async function CheckoutPage({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  const order = await readCheckoutOrder(orderId);
  if (!order) {
    return (
      <div className="mx-auto max-w-lg rounded-3xl border border-slate-200 bg-white p-8 text-center shadow-sm" data-testid="checkout-not-found">
        <h1 className="text-xl font-semibold text-slate-900">Order not found</h1>
        <p className="mt-2 text-sm text-slate-600">Check the payment link you were given, or ask the merchant for a new one.</p>
      </div>
    );
  }
  return <CheckoutView initial={order} />;
}
