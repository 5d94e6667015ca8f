"use client";
// A small form that POSTs JSON to a P2P API route and then refreshes the page (or follows a link
// the response names). Errors from the API ({ error: { code, message } }) are shown inline.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

export type Field = { name: string; label: string; type?: string; placeholder?: string; defaultValue?: string; options?: string[] };

export function ActionForm(props: {
  /** The route; `{field}` is filled from that field's value (which then leaves the body). */
  action: string;
  fields?: Field[];
  submit: string;
  /** Static values merged into the body. */
  extra?: Record<string, unknown>;
  /** Send an Idempotency-Key (one per form instance, so a double click is harmless). */
  idempotent?: boolean;
  /**
   * Where to go after success: a path whose `{a.b}` parts are filled from the JSON response (a
   * string, because server components cannot pass functions to this client component).
   */
  redirect?: string;
  nested?: string;
  tone?: "primary" | "quiet" | "danger";
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(() => crypto.randomUUID());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const data = Object.fromEntries(new FormData(event.currentTarget).entries());
    let body: Record<string, unknown> = { ...props.extra };
    for (const [k, v] of Object.entries(data)) if (v !== "") body[k] = v;
    if (props.nested) {
      const { [props.nested]: _drop, ...rest } = body;
      const nestedFields = props.fields?.filter((f) => f.name.startsWith(`${props.nested}.`)) ?? [];
      body = { ...rest, [props.nested]: Object.fromEntries(nestedFields.map((f) => [f.name.slice(props.nested!.length + 1), data[f.name]])) };
      for (const f of nestedFields) delete body[f.name];
    }
    const action = props.action.replace(/\{(\w+)\}/g, (_match, name: string) => {
      const value = String(body[name] ?? "");
      delete body[name];
      return encodeURIComponent(value);
    });
    try {
      const response = await fetch(action, {
        method: "POST",
        headers: { "content-type": "application/json", ...(props.idempotent ? { "idempotency-key": key } : {}) },
        body: JSON.stringify(body),
      });
      const json = (await response.json().catch(() => ({}))) as Record<string, unknown> & { error?: { message?: string } };
      if (!response.ok) {
        setError(json.error?.message ?? `failed (${response.status})`);
        return;
      }
      setKey(crypto.randomUUID());
      const target = props.redirect?.replace(/\{([\w.]+)\}/g, (_match, path: string) =>
        encodeURIComponent(String(path.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], json) ?? "")),
      );
      if (target) router.push(target);
      router.refresh();
      (event.target as HTMLFormElement).reset?.();
    } catch {
      setError("network error");
    } finally {
      setBusy(false);
    }
  }

  const button =
    props.tone === "danger"
      ? "bg-rose-600 text-white hover:bg-rose-700"
      : props.tone === "quiet"
        ? "border border-slate-300 text-slate-700 hover:bg-slate-50"
        : "bg-brand-600 text-white hover:bg-brand-700";
  return (
    <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3">
      {props.fields?.map((field) => (
        <label key={field.name} className="flex flex-col gap-1 text-xs font-medium text-slate-600">
          {field.label}
          {field.options ? (
            <select name={field.name} defaultValue={field.defaultValue} className="rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900">
              {field.options.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          ) : (
            <input
              name={field.name}
              type={field.type ?? "text"}
              placeholder={field.placeholder}
              defaultValue={field.defaultValue}
              className="rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900"
            />
          )}
        </label>
      ))}
      <button disabled={busy} className={`rounded-full px-4 py-2 text-sm font-semibold shadow-sm disabled:opacity-50 ${button}`}>
        {busy ? "…" : props.submit}
      </button>
      {error ? (
        <p role="alert" className="w-full text-sm text-rose-700">
          {error}
        </p>
      ) : null}
    </form>
  );
}
