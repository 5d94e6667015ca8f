// Presentational pieces shared by the P2P desk's pages (server components).
import type { ReactNode } from "react";
import { formatMinor } from "../../server/p2p/formats.ts";

export function money(value: unknown, unit = ""): string {
  if (value === null || value === undefined) return "—";
  return `${formatMinor(BigInt(String(value)))}${unit ? ` ${unit}` : ""}`;
}

export function Card(props: { title: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
      <div className="mb-4 flex items-center justify-between gap-4">
        <h2 className="text-sm font-semibold tracking-wide text-slate-900 uppercase">{props.title}</h2>
        {props.aside}
      </div>
      <div className="space-y-4 text-sm">{props.children}</div>
    </section>
  );
}

export function Table(props: { columns: string[]; rows: ReactNode[][]; empty?: string }) {
  if (props.rows.length === 0) return <p className="text-slate-500">{props.empty ?? "Nothing yet."}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="text-xs text-slate-500 uppercase">
          <tr>
            {props.columns.map((c) => (
              <th key={c} className="py-2 pr-4 font-medium">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {props.rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j} className="py-2 pr-4 tabular-nums text-slate-800">
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Stat(props: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-xl bg-slate-50 p-4">
      <p className="text-xs text-slate-500">{props.label}</p>
      <p className="mt-1 text-2xl font-semibold tabular-nums text-slate-900" data-testid={props.testId}>
        {props.value}
      </p>
    </div>
  );
}

export function SignInFirst() {
  return (
    <p className="text-slate-600">
      <a href="/p2p" className="font-semibold text-brand-700 underline">
        Sign in
      </a>{" "}
      to use the desk.
    </p>
  );
}
