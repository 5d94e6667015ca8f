import { ActionForm } from "../../../components/p2p/action-form.tsx";
import { Card, money, SignInFirst, Stat, Table } from "../../../components/p2p/ui.tsx";
import { deskSession } from "../session.ts";

export default async function BuyerTopUp() {
  const { p2p, user } = await deskSession();
  if (!user) return <SignInFirst />;
  const [balances, orders] = await Promise.all([p2p.desk.balances(user.id), p2p.desk.listOrders(user.id)]);
  return (
    <>
      <h1 className="text-3xl font-semibold tracking-tight text-slate-900">Top up</h1>
      <Stat label="Your balance (virtual $)" value={money(balances.available)} testId="buyer-available" />
      <Card title="New top-up">
        <ActionForm
          action="/api/p2p/orders"
          submit="Get an invoice"
          idempotent
          fields={[
            { name: "method", label: "Method", options: ["sandbox", "yookassa", "tbank"], defaultValue: "sandbox" },
            { name: "amount", label: "Amount (virtual $)", placeholder: "25.00" },
          ]}
          redirect="/p2p/orders/{order.id}"
        />
      </Card>
      <Card title="Your orders">
        <Table
          columns={["Created", "Amount", "Status", ""]}
          rows={orders.map((o) => [
            new Date(String(o.created_at)).toLocaleString("en-GB"),
            money(o.amount),
            String(o.status),
            <a key="l" href={`/p2p/orders/${o.id}`} className="text-brand-700 underline">open</a>,
          ])}
        />
      </Card>
    </>
  );
}
