import { ActionForm } from "../../../../../components/p2p/action-form.tsx";
import { Card, money } from "../../../../../components/p2p/ui.tsx";
import { serverServices } from "../../../../lib/server-services.ts";

/** The sandbox provider's own payment page: stands in for a real provider's checkout. */
export default async function SandboxPayPage({ params }: { params: Promise<{ invoiceId: string }> }) {
  const { p2p } = await serverServices();
  const { invoiceId } = await params;
  if (!p2p.config.sandboxEnabled) return <p className="text-slate-600">The sandbox provider is disabled.</p>;
  const invoice = /^sbx_[0-9a-f]{24}$/.test(invoiceId) ? await p2p.sandbox.getInvoice(invoiceId) : undefined;
  if (!invoice) return <p className="text-slate-600">Invoice not found.</p>;
  return (
    <div className="mx-auto max-w-md">
      <Card title="Sandbox payment provider" aside={<span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs text-amber-800">sandbox</span>}>
        <p className="text-xs text-slate-500">
          Shop {String(invoice.shop_id)} · invoice {invoiceId}
        </p>
        <p className="text-3xl font-semibold tabular-nums">{money(invoice.amount, String(invoice.currency))}</p>
        <p className="text-slate-600">{String(invoice.description)}</p>
        <p data-testid="sandbox-status">Status: {String(invoice.status)}</p>
        {invoice.status === "pending" ? <ActionForm action={`/api/p2p/sandbox/invoices/${invoiceId}/pay`} submit="Pay" /> : null}
      </Card>
    </div>
  );
}
