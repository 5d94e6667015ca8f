import { ActionForm } from "../../../components/p2p/action-form.tsx";
import { Card, money, SignInFirst, Stat, Table } from "../../../components/p2p/ui.tsx";
import { deskSession } from "../session.ts";

export default async function SellerDashboard() {
  const { p2p, user } = await deskSession();
  if (!user) return <SignInFirst />;
  const [balances, forms, requests, payouts] = await Promise.all([
    p2p.desk.balances(user.id),
    p2p.desk.listApiForms(user.id),
    p2p.desk.listRequests(user.id),
    p2p.desk.sellerPayouts(user.id),
  ]);
  const activeForms = forms.filter((f) => f.status === "active");
  return (
    <>
      <h1 className="text-3xl font-semibold tracking-tight text-slate-900">Seller dashboard</h1>
      {user.flagged ? <p className="rounded-lg bg-rose-50 p-3 text-sm text-rose-800">Your provider failed; requests on it are suspended until an operator reviews them.</p> : null}
      <div className="grid gap-4 sm:grid-cols-3">
        <Stat label="Available (virtual $)" value={money(balances.available)} testId="seller-available" />
        <Stat label="On sale" value={money(balances.onSale)} />
        <Stat label="Reserved by buyers" value={money(balances.reservedOnSale)} />
      </div>

      <Card title="1 · Game-room account">
        {user.gameEmail ? (
          <p>
            Linked: <span className="font-mono">{user.gameEmail}</span>. Transfer virtual dollars to the platform&apos;s game-room account;
            they are credited minus {p2p.config.depositFeeBps / 100}% commission.
          </p>
        ) : (
          <>
            <ActionForm action="/api/p2p/wallet/game-email" submit="Send code" fields={[{ name: "gameEmail", label: "Game-room account e-mail", type: "email" }]} />
            <ActionForm action="/api/p2p/wallet/game-email/confirm" submit="Link" fields={[{ name: "code", label: "Code from that mailbox" }]} />
          </>
        )}
        {user.gameEmail && p2p.config.devTools ? (
          <ActionForm action="/api/p2p/dev/deposits" submit="Simulate a game-room transfer (dev)" tone="quiet" fields={[{ name: "amount", label: "Amount", placeholder: "100.00" }]} />
        ) : null}
      </Card>

      <Card title="2 · Payment provider (API forms)">
        <Table
          columns={["Name", "Provider", "Shop", "Live", "Status"]}
          rows={forms.map((f) => [String(f.display_name), String(f.provider), String(f.shop_id ?? "—"), f.live ? "yes" : "no", String(f.status)])}
          empty="No API forms yet."
        />
        <ActionForm
          action="/api/p2p/api-forms"
          submit="Verify and save"
          nested="credentials"
          fields={[
            { name: "provider", label: "Provider", options: ["sandbox", "yookassa", "tbank"], defaultValue: "sandbox" },
            { name: "displayName", label: "Display name", placeholder: "My sandbox shop" },
            { name: "credentials.shopId", label: "Shop id", placeholder: "shop_1" },
            { name: "credentials.secretKey", label: "Secret key", type: "password", placeholder: "sk_live_…" },
          ]}
        />
      </Card>

      <Card title="3 · Withdrawal requests (FIFO queue)">
        <Table
          columns={["#", "Amount", "Remaining", "Reserved", "Filled", "Returned", "Per buyer", "Rate ₽/$", "Status", ""]}
          rows={requests.map((r) => [
            String(r.queue_seq),
            money(r.amount),
            money(r.remaining),
            money(r.reserved),
            money(r.filled),
            money(r.returned),
            `${money(r.min_per_buyer)}–${money(r.max_per_buyer)}`,
            money(r.rate),
            `${r.status}${r.close_reason ? ` (${r.close_reason})` : ""}`,
            r.status === "open" || r.status === "suspended" ? (
              <ActionForm key="c" action={`/api/p2p/requests/${r.id}/cancel`} submit="Cancel rest" tone="danger" />
            ) : null,
          ])}
          empty="No requests yet."
        />
        {activeForms.length > 0 ? (
          <ActionForm
            action="/api/p2p/requests"
            submit="Create request"
            idempotent
            fields={[
              { name: "apiFormId", label: "API form", options: activeForms.map((f) => String(f.id)), defaultValue: String(activeForms[0]!.id) },
              { name: "amount", label: "Amount", placeholder: "500.00" },
              { name: "minPerBuyer", label: "Min per buyer", placeholder: "10.00" },
              { name: "maxPerBuyer", label: "Max per buyer", placeholder: "200.00" },
              { name: "rate", label: "Rate ₽ per $ (optional)", placeholder: (Number(p2p.config.defaultRate) / 100).toFixed(2) },
            ]}
          />
        ) : (
          <p className="text-slate-500">Add a verified API form first.</p>
        )}
      </Card>

      <Card title="Payouts">
        <Table
          columns={["When", "Amount $", "Rubles", "Status"]}
          rows={payouts.map((p) => [
            new Date(String(p.created_at)).toLocaleString("en-GB"),
            money(p.amount),
            money(p.fiat_amount, String(p.fiat_currency)),
            `${p.status}${p.void_reason ? ` (${p.void_reason})` : ""}`,
          ])}
          empty="No buyers yet."
        />
      </Card>
    </>
  );
}
