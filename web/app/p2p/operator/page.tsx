import { ActionForm } from "../../../components/p2p/action-form.tsx";
import { Card, money, SignInFirst, Table } from "../../../components/p2p/ui.tsx";
import type { P2PServices } from "../../../server/p2p/index.ts";
import { deskSession } from "../session.ts";

type Balance = Awaited<ReturnType<P2PServices["desk"]["operatorOverview"]>>["accounts"][number];

/** The commission shards (one booking concern, split only so matches do not queue on one row) as one line. */
function trialBalanceRows(accounts: Balance[]): Balance[] {
  const shards = accounts.filter((a) => a.code.startsWith("platform:commission:"));
  if (shards.length === 0) return accounts;
  const sum = (pick: (a: Balance) => bigint) => shards.reduce((total, a) => total + pick(a), 0n);
  const commission: Balance = {
    ...shards[0]!,
    code: `platform:commission (${shards.length} shards)`,
    debitsPosted: sum((a) => a.debitsPosted),
    creditsPosted: sum((a) => a.creditsPosted),
    debitsPending: sum((a) => a.debitsPending),
    creditsPending: sum((a) => a.creditsPending),
    available: sum((a) => a.available),
  };
  const rest = accounts.filter((a) => !a.code.startsWith("platform:commission:"));
  const at = accounts.findIndex((a) => a.code.startsWith("platform:commission:"));
  return [...rest.slice(0, at), commission, ...rest.slice(at)];
}

export default async function OperatorView() {
  const { p2p, user } = await deskSession();
  if (!user) return <SignInFirst />;
  if (user.role !== "operator") {
    return <p className="text-slate-600">Operators only: a verified e-mail listed in P2P_OPERATOR_EMAILS.</p>;
  }
  const [o, totp, audit] = await Promise.all([p2p.desk.operatorOverview(), p2p.operators.status(user), p2p.operators.auditLog(50)]);
  const pending = totp.pending ? await p2p.operators.pendingEnrolment(user) : undefined;
  // Every money action below asks for a fresh code from the operator's authenticator app.
  const otp = { name: "otp", label: "Authenticator code", placeholder: "123456" };
  return (
    <>
      <h1 className="text-3xl font-semibold tracking-tight text-slate-900">Operator</h1>
      {totp.enrolled ? null : (
        <Card title="Authenticator (required for money actions)">
          <p className="text-sm text-slate-600">
            Adjustments, deposit assignments and dispute resolutions need a code from an authenticator app (TOTP). Each code is good once.
          </p>
          {pending ? (
            <>
              <p className="text-sm">
                Add this secret to your app, then enter its current code: <span className="font-mono" data-testid="totp-secret">{pending.secret}</span>
              </p>
              <p className="break-all font-mono text-xs text-slate-500">{pending.uri}</p>
              <ActionForm action="/api/p2p/operator/totp/confirm" submit="Confirm authenticator" fields={[{ name: "code", label: "Code from the app" }]} />
            </>
          ) : (
            <ActionForm action="/api/p2p/operator/totp" submit="Set up authenticator" />
          )}
        </Card>
      )}
      <Card
        title="Ledger invariants"
        aside={
          <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${o.invariants.ok ? "bg-emerald-100 text-emerald-800" : "bg-rose-100 text-rose-800"}`}>
            {o.invariants.ok ? "all hold" : `${o.invariants.violations.length} violated`}
          </span>
        }
      >
        {o.invariants.violations.map((v) => (
          <p key={v} className="text-rose-700">{v}</p>
        ))}
      </Card>
      <Card title="Queue (FIFO)">
        <Table
          columns={["#", "Seller", "Provider", "Remaining", "Reserved", "Filled", "Per buyer", "Status"]}
          rows={o.queue.map((q) => [String(q.queue_seq), String(q.email), String(q.provider), money(q.remaining), money(q.reserved), money(q.filled), `${money(q.min_per_buyer)}–${money(q.max_per_buyer)}`, String(q.status)])}
        />
      </Card>
      <Card title="Open reservations">
        <Table
          columns={["Expires", "Buyer", "Seller", "Amount", "Rubles", "Invoice"]}
          rows={o.reservations.map((r) => [new Date(String(r.expires_at)).toLocaleTimeString("en-GB"), String(r.buyer), String(r.seller), money(r.amount), money(r.fiat_amount), String(r.invoice_id ?? "—")])}
        />
      </Card>
      <Card title="Deposits to review (unknown senders)">
        <Table
          columns={["Transfer", "Sender", "Amount", "Id", ""]}
          rows={o.review.map((d) => [
            String(d.external_id),
            String(d.sender_email),
            money(d.amount),
            String(d.id),
            <ActionForm
              key="assign"
              action={`/api/p2p/operator/deposits/${String(d.id)}/resolve`}
              submit="Assign"
              fields={[{ name: "userId", label: "User id" }, { name: "note", label: "Note" }, otp]}
            />,
          ])}
        />
      </Card>
      <Card title="Disputes">
        <p className="text-xs text-slate-500">
          Held money sits in platform:disputes. For the buyer: the match stands (a claw-back is undone); for the seller: the seller gets
          the amount back (nothing moves when nothing is held and the seller wins).
        </p>
        <Table
          columns={["Reservation", "Reason", "Amount", "Held", "Opened", ""]}
          rows={o.disputes.map((d) => [
            String(d.reservation_id),
            String(d.reason),
            money(d.amount),
            money(d.hold_amount),
            new Date(String(d.created_at)).toLocaleString("en-GB"),
            <ActionForm
              key="r"
              action={`/api/p2p/operator/disputes/${d.id}/resolve`}
              submit="Resolve"
              fields={[
                { name: "outcome", label: "For", options: ["buyer", "seller"], defaultValue: "seller" },
                { name: "note", label: "Note" },
                otp,
              ]}
            />,
          ])}
        />
      </Card>
      {p2p.config.sandboxEnabled ? (
        <Card title="Sandbox: refund or charge back a paid invoice">
          <ActionForm
            action="/api/p2p/sandbox/invoices/{invoiceId}/reverse"
            submit="Reverse payment"
            tone="danger"
            fields={[
              { name: "invoiceId", label: "Sandbox invoice id", placeholder: "sbx_…" },
              { name: "kind", label: "Kind", options: ["refund", "chargeback"], defaultValue: "refund" },
            ]}
          />
        </Card>
      ) : null}
      <Card title="Manual adjustment (booked as a ledger transfer)">
        <ActionForm
          action="/api/p2p/operator/adjustments"
          submit="Book adjustment"
          idempotent
          fields={[
            { name: "userId", label: "User id" },
            { name: "direction", label: "Direction", options: ["credit", "debit"], defaultValue: "credit" },
            { name: "amount", label: "Amount", placeholder: "10.00" },
            { name: "reason", label: "Reason" },
            otp,
          ]}
        />
      </Card>
      <Card title="Audit log (operators' money actions, append-only)">
        <Table
          columns={["When", "Operator", "Action", "Amount", "Target", "Reason", "Transfer", "Request"]}
          rows={audit.map((a) => [
            new Date(String(a.created_at)).toLocaleString("en-GB"),
            a.operator_email,
            a.action,
            a.amount === null ? "—" : money(a.amount),
            `${a.target_type} ${a.target_id}`,
            a.reason,
            a.transfer_id ?? "—",
            a.request_id ?? "in-process",
          ])}
          empty="No money actions yet."
        />
      </Card>
      <Card title="Trial balance">
        <Table
          columns={["Account", "Cur", "Debits posted", "Credits posted", "Debits pending", "Credits pending", "Available"]}
          rows={trialBalanceRows(o.accounts).map((a) => [a.code, a.currency, money(a.debitsPosted), money(a.creditsPosted), money(a.debitsPending), money(a.creditsPending), money(a.available)])}
        />
      </Card>
    </>
  );
}
