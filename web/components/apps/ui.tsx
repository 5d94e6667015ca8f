"use client";

import { formatAmount, parseAmount } from "@coinpays/sdk";
import { getDeployment } from "@coinpays/sdk/contracts";
import type { ReactNode } from "react";
import { zeroAddress, type Address } from "viem";
import { useAccount, useChainId } from "wagmi";

export type TokenInfo = { symbol: string; address: Address; decimals: number };

export const NATIVE: TokenInfo = { symbol: "ETH", address: zeroAddress, decimals: 18 };

/** The CoinPays deployment of the chain this server is configured for (addresses + tokens + markets). */
export function useDeployment() {
  const chainId = useChainId();
  return getDeployment(chainId);
}

export function useTokens(includeNative = false): TokenInfo[] {
  const deployment = useDeployment();
  const tokens = (deployment?.tokens ?? []).map((t) => ({ symbol: t.symbol, address: t.address as Address, decimals: t.decimals }));
  return includeNative ? [NATIVE, ...tokens] : tokens;
}

export function tokenOf(tokens: TokenInfo[], address: string | undefined): TokenInfo {
  return tokens.find((t) => t.address.toLowerCase() === address?.toLowerCase()) ?? { symbol: "?", address: (address ?? zeroAddress) as Address, decimals: 18 };
}

/** Exact decimal-string parsing for inputs: the base units, or an error message to show. */
export function parseInput(value: string, decimals: number): { amount?: bigint; error?: string } {
  if (value.trim() === "") return {};
  try {
    return { amount: parseAmount(value.trim(), decimals) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export function fmt(amount: bigint | undefined, decimals: number, symbol?: string): string {
  if (amount === undefined) return "…";
  return `${formatAmount(amount, decimals)}${symbol ? ` ${symbol}` : ""}`;
}

export function short(address: string | undefined): string {
  return address ? `${address.slice(0, 6)}…${address.slice(-4)}` : "—";
}

export function Card({ title, children, testId, aside }: { title: string; children: ReactNode; testId?: string; aside?: ReactNode }) {
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" data-testid={testId}>
      <div className="flex items-center justify-between gap-3">
        <h2 className="font-semibold text-slate-900">{title}</h2>
        {aside}
      </div>
      <div className="mt-4">{children}</div>
    </section>
  );
}

export function Field({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string; children: ReactNode }) {
  return (
    <label className="block text-sm">
      <span className="font-medium text-slate-700">{label}</span>
      <div className="mt-1">{children}</div>
      {error ? <span className="mt-1 block text-xs text-red-600">{error}</span> : hint ? <span className="mt-1 block text-xs text-slate-500">{hint}</span> : null}
    </label>
  );
}

export const inputClass =
  "w-full rounded-xl border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/30";

export function Button({ children, onClick, disabled, variant = "primary", type = "button", testId }: { children: ReactNode; onClick?: () => void; disabled?: boolean; variant?: "primary" | "secondary" | "danger"; type?: "button" | "submit"; testId?: string }) {
  const tone =
    variant === "primary"
      ? "bg-brand-600 text-white hover:bg-brand-700"
      : variant === "danger"
        ? "bg-red-600 text-white hover:bg-red-700"
        : "bg-slate-100 text-slate-900 hover:bg-slate-200";
  return (
    <button type={type} onClick={onClick} disabled={disabled} data-testid={testId} className={`rounded-full px-4 py-2 text-sm font-semibold shadow-sm transition disabled:cursor-not-allowed disabled:opacity-50 ${tone}`}>
      {children}
    </button>
  );
}

export function TokenSelect({ tokens, value, onChange, label = "Token" }: { tokens: TokenInfo[]; value: Address; onChange: (address: Address) => void; label?: string }) {
  return (
    <select aria-label={label} className={inputClass} value={value} onChange={(e) => onChange(e.target.value as Address)}>
      {tokens.map((t) => (
        <option key={t.address} value={t.address}>
          {t.symbol}
        </option>
      ))}
    </select>
  );
}

/** Renders children only with a connected wallet on a chain with a CoinPays deployment. */
export function RequireWallet({ children }: { children: ReactNode }) {
  const { status } = useAccount();
  const deployment = useDeployment();
  if (!deployment) return <Notice>CoinPays is not deployed on this chain.</Notice>;
  if (status !== "connected") return <Notice>Connect your wallet (top right) to use this app.</Notice>;
  return <>{children}</>;
}

export function Notice({ children }: { children: ReactNode }) {
  return <p className="rounded-2xl border border-dashed border-slate-300 bg-slate-50 p-6 text-sm text-slate-600">{children}</p>;
}

export function PageTitle({ title, lead }: { title: string; lead: string }) {
  return (
    <div className="mb-6">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
      <p className="mt-1 max-w-3xl text-sm text-slate-600">{lead}</p>
    </div>
  );
}

export function Badge({ children, tone = "slate" }: { children: ReactNode; tone?: "slate" | "green" | "amber" | "red" | "blue" }) {
  const tones = { slate: "bg-slate-100 text-slate-700", green: "bg-emerald-100 text-emerald-800", amber: "bg-amber-100 text-amber-800", red: "bg-red-100 text-red-800", blue: "bg-sky-100 text-sky-800" };
  return <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ${tones[tone]}`}>{children}</span>;
}
