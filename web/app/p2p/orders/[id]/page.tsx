import { ActionForm } from "../../../../components/p2p/action-form.tsx";
import { InvoiceStatus } from "../../../../components/p2p/invoice-status.tsx";
import { Card, money, SignInFirst } from "../../../../components/p2p/ui.tsx";
import { isP2PError } from "../../../../server/p2p/errors.ts";
import { deskSession } from "../../session.ts";

export default async function InvoicePage({ params }: { params: Promise<{ id: string }> }) {
  const { p2p, user } = await deskSession();
  if (!user) return <SignInFirst />;
  const { id } = await params;
  let order;
  try {
    order = /^[0-9a-f-]{36}$/.test(id) ? await p2p.desk.getOrder(user.id, id) : undefined;
  } catch (error) {
    if (!isP2PError(error)) throw error;
  }
  if (!order) return <p className="text-slate-600">Order not found.</p>;
  const r = order.reservation;
  const serialised = JSON.parse(JSON.stringify(order, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  return (
    <div className="mx-auto max-w-md">
      <Card title="Invoice">
        <p className="text-xs text-slate-500">Order {order.id}</p>
        <p className="text-3xl font-semibold tabular-nums text-slate-900" data-testid="fiat-amount">
          {r ? money(r.fiatAmount, "₽") : "—"}
        </p>
        <p className="text-slate-600">
          for {money(order.amount)} virtual dollars{r && r.fee > 0n ? ` (you receive ${money(r.amount - r.fee)} after the ${money(r.fee)} fee)` : ""}.
          Pay exactly this amount with the provider; your balance is credited when the provider confirms it.
        </p>
        <InvoiceStatus initial={serialised} />
      </Card>
      {order.status === "reserved" || order.status === "expired" ? (
        <Card title="Paid, but not confirmed?">
          <p className="text-sm text-slate-600">
            We ask the provider first. If it has no record of your payment, the seller&apos;s amount is frozen (it cannot be sold to
            anyone else) until an operator checks the evidence.
          </p>
          <ActionForm action={`/api/p2p/orders/${order.id}/claim-paid`} submit="I paid" tone="quiet" fields={[{ name: "note", label: "What happened (time, bank, last digits)" }]} />
        </Card>
      ) : null}
    </div>
  );
}
