import { ActionForm } from "../../components/p2p/action-form.tsx";
import { Card, money, Stat } from "../../components/p2p/ui.tsx";
import { deskSession } from "./session.ts";

export default async function DeskHome() {
  const { p2p, user } = await deskSession();
  if (!user) {
    return (
      <>
        <h1 className="text-3xl font-semibold tracking-tight text-slate-900">P2P ruble desk</h1>
        <p className="max-w-2xl text-slate-600">
          Sell the game room&apos;s virtual dollars for rubles through your own payment provider, or top up your balance by paying a
          seller directly. CoinPays matches you and keeps the books; buyer and seller never see each other.
        </p>
        <div className="grid gap-6 md:grid-cols-2">
          <Card title="Sign in">
            <ActionForm
              action="/api/p2p/auth/signin"
              submit="Sign in"
              fields={[
                { name: "email", label: "E-mail", type: "email" },
                { name: "password", label: "Password", type: "password" },
              ]}
            />
          </Card>
          <Card title="Create an account">
            <ActionForm
              action="/api/p2p/auth/signup"
              submit="Sign up"
              fields={[
                { name: "email", label: "E-mail", type: "email" },
                { name: "password", label: "Password (10+ characters)", type: "password" },
              ]}
            />
            <p className="text-xs text-slate-500">Then sign in and enter the code we e-mail you.</p>
          </Card>
        </div>
      </>
    );
  }
  const balances = await p2p.desk.balances(user.id);
  return (
    <>
      <div className="flex items-center justify-between">
        <h1 className="text-3xl font-semibold tracking-tight text-slate-900">Hello, {user.email}</h1>
        <ActionForm action="/api/p2p/auth/signout" submit="Sign out" tone="quiet" redirect="/p2p" />
      </div>
      {!user.emailVerified ? (
        <Card title="Verify your e-mail">
          <ActionForm action="/api/p2p/auth/verify" submit="Verify" fields={[{ name: "code", label: "6-digit code" }]} />
          <ActionForm action="/api/p2p/auth/verify" submit="Send a new code" tone="quiet" extra={{ resend: true }} />
        </Card>
      ) : null}
      <div className="grid gap-4 sm:grid-cols-3">
        <Stat label="Available (virtual $)" value={money(balances.available)} testId="available" />
        <Stat label="On sale" value={money(balances.onSale)} />
        <Stat label="Reserved by buyers" value={money(balances.reservedOnSale)} />
      </div>
      <div className="flex gap-3">
        <a href="/p2p/seller" className="rounded-full bg-brand-600 px-5 py-2.5 text-sm font-semibold text-white">Sell virtual dollars</a>
        <a href="/p2p/buy" className="rounded-full border border-slate-300 px-5 py-2.5 text-sm font-semibold text-slate-800">Top up</a>
      </div>
    </>
  );
}
