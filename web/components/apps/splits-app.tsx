"use client";

import { parseAmount } from "@coinpays/sdk";
import { splitMainAbi } from "@coinpays/sdk/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { erc20Abi, getAddress, isAddress, parseEventLogs, zeroAddress, type Abi, type Address } from "viem";
import { useAccount, usePublicClient, useReadContract, useReadContracts } from "wagmi";
import { TxStatus, useTransactionFlow } from "./tx-flow.tsx";
import { Badge, Button, Card, Field, fmt, inputClass, Notice, PageTitle, RequireWallet, short, useDeployment, useTokens } from "./ui.tsx";

const abi = splitMainAbi as Abi;
const PPM = 1_000_000n;

/** Percentages are typed as decimal strings with up to 4 places and parsed exactly into parts per million. */
function percentToPpm(value: string): bigint | undefined {
  try {
    return parseAmount(value.trim(), 4);
  } catch {
    return undefined;
  }
}

function formatPpm(ppm: number | bigint): string {
  const n = BigInt(ppm);
  const whole = n / 10_000n;
  const frac = (n % 10_000n).toString().padStart(4, "0").replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""}%`;
}

export function SplitsApp() {
  const [selected, setSelected] = useState<Address | undefined>();
  return (
    <>
      <PageTitle
        title="Revenue splits"
        lead="A split is an address that shares whatever it receives by fixed percentages. A recipient can be another split (sales rep → team → company): distributing moves money up the tree as ledger credits, and each account withdraws its own balance."
      />
      <RequireWallet>
        <div className="grid gap-6 lg:grid-cols-[1fr_1.4fr]">
          <div className="space-y-6">
            <CreateSplit onCreated={setSelected} />
            <KnownSplits selected={selected} onSelect={setSelected} />
          </div>
          {selected ? <SplitTree root={selected} /> : <Notice>Create a split or pick one to see its tree, balances and buttons.</Notice>}
        </div>
      </RequireWallet>
    </>
  );
}

/** Every split ever created (from SplitCreated events), newest first. */
function useAllSplits() {
  const deployment = useDeployment()!;
  const client = usePublicClient();
  const splitMain = deployment.contracts.SplitMain.address as Address;
  return useQuery({
    queryKey: ["splits", splitMain],
    enabled: !!client,
    refetchInterval: 5_000,
    queryFn: async () => {
      const logs = await client!.getContractEvents({ address: splitMain, abi: splitMainAbi, eventName: "SplitCreated", fromBlock: 0n });
      return logs
        .map((log) => ({ split: log.args.split as Address, controller: log.args.controller as Address, recipients: (log.args.recipients ?? []) as readonly Address[] }))
        .reverse();
    },
  });
}

function CreateSplit({ onCreated }: { onCreated: (split: Address) => void }) {
  const deployment = useDeployment()!;
  const splitMain = deployment.contracts.SplitMain.address as Address;
  const { address } = useAccount();
  const { data: splits = [] } = useAllSplits();
  const [rows, setRows] = useState([{ recipient: "", percent: "" }, { recipient: "", percent: "" }]);
  const [immutable, setImmutable] = useState(false);
  const [created, setCreated] = useState<Address | undefined>();
  const flow = useTransactionFlow();

  const parsed = rows.map((r) => ({ recipient: r.recipient.trim(), ppm: percentToPpm(r.percent) }));
  const total = parsed.reduce((sum, r) => sum + (r.ppm ?? 0n), 0n);
  const valid = parsed.every((r) => isAddress(r.recipient) && r.ppm !== undefined && r.ppm > 0n) && total === PPM;

  const update = (i: number, patch: Partial<{ recipient: string; percent: string }>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  async function submit() {
    // SplitMain wants recipients strictly ascending: sort the pairs together.
    const pairs = parsed.map((r) => ({ recipient: getAddress(r.recipient), ppm: Number(r.ppm) })).sort((a, b) => (BigInt(a.recipient) < BigInt(b.recipient) ? -1 : 1));
    const receipt = await flow.run("Create split", {
      address: splitMain,
      abi,
      functionName: "createSplit",
      args: [pairs.map((p) => p.recipient), pairs.map((p) => p.ppm), 0, immutable ? zeroAddress : address],
    });
    if (!receipt) return;
    const [event] = parseEventLogs({ abi: splitMainAbi, logs: receipt.logs, eventName: "SplitCreated" });
    if (event) {
      setRows([{ recipient: "", percent: "" }, { recipient: "", percent: "" }]);
      setCreated(event.args.split);
      onCreated(event.args.split);
    }
  }

  return (
    <Card title="Create a split" testId="split-create">
      <div className="space-y-2">
        {rows.map((row, i) => (
          <div key={i} className="grid grid-cols-[1fr_6rem_auto] items-end gap-2">
            <Field label={`Recipient ${i + 1}`}>
              <input className={inputClass} name={`recipient-${i}`} placeholder="0x… account or split" value={row.recipient} onChange={(e) => update(i, { recipient: e.target.value })} list="known-splits" />
            </Field>
            <Field label="%">
              <input className={inputClass} name={`percent-${i}`} inputMode="decimal" placeholder="50" value={row.percent} onChange={(e) => update(i, { percent: e.target.value })} />
            </Field>
            <button type="button" aria-label={`Remove recipient ${i + 1}`} className="mb-2 text-slate-400 hover:text-red-600" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
              ✕
            </button>
          </div>
        ))}
        <datalist id="known-splits">
          {splits.map((s) => (
            <option key={s.split} value={s.split}>
              split {short(s.split)}
            </option>
          ))}
        </datalist>
        <div className="flex flex-wrap items-center gap-2">
          <Button variant="secondary" onClick={() => setRows((rs) => [...rs, { recipient: "", percent: "" }])}>
            + Recipient
          </Button>
          <select
            aria-label="Add a split as recipient"
            className={`${inputClass} w-auto`}
            value=""
            onChange={(e) => e.target.value && setRows((rs) => [...rs.filter((r) => r.recipient || r.percent), { recipient: e.target.value, percent: "" }])}
          >
            <option value="">+ Parent split as recipient…</option>
            {splits.map((s) => (
              <option key={s.split} value={s.split}>
                {short(s.split)}
              </option>
            ))}
          </select>
        </div>
        <p className={`text-xs ${total === PPM ? "text-emerald-700" : "text-slate-500"}`} data-testid="split-total">
          Total {formatPpm(total)} {total === PPM ? "✓" : "(must be exactly 100%)"}
        </p>
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" checked={immutable} onChange={(e) => setImmutable(e.target.checked)} /> Immutable (no controller can change the rules)
        </label>
        <Button testId="split-submit" disabled={!valid || flow.busy} onClick={submit}>
          Create split
        </Button>
        <TxStatus state={flow.state} earlier={flow.earlier} />
        {created && (
          <p className="text-xs text-slate-600">
            New split: <code className="font-mono" data-testid="created-split" data-address={created}>{created}</code> (pay it like any address)
          </p>
        )}
      </div>
    </Card>
  );
}

function KnownSplits({ selected, onSelect }: { selected?: Address; onSelect: (split: Address) => void }) {
  const { address } = useAccount();
  const { data: splits = [] } = useAllSplits();
  const [manual, setManual] = useState("");
  const me = address?.toLowerCase();
  const mine = splits.filter((s) => s.controller.toLowerCase() === me || s.recipients.some((r) => r.toLowerCase() === me));
  return (
    <Card title="Splits">
      <div className="flex gap-2">
        <input className={inputClass} placeholder="Split address" value={manual} onChange={(e) => setManual(e.target.value)} aria-label="Split address" />
        <Button variant="secondary" disabled={!isAddress(manual.trim())} onClick={() => onSelect(getAddress(manual.trim()))}>
          View
        </Button>
      </div>
      <ul className="mt-3 space-y-1 text-sm">
        {(mine.length ? mine : splits).slice(0, 12).map((s) => (
          <li key={s.split}>
            <button type="button" className={`font-mono hover:underline ${s.split === selected ? "font-semibold text-brand-700" : "text-slate-700"}`} onClick={() => onSelect(s.split)}>
              {short(s.split)}
            </button>{" "}
            {s.controller === zeroAddress ? <Badge>immutable</Badge> : s.controller.toLowerCase() === me ? <Badge tone="blue">you control</Badge> : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function SplitTree({ root }: { root: Address }) {
  const tokens = useTokens(true);
  const { address } = useAccount();
  const deployment = useDeployment()!;
  const splitMain = deployment.contracts.SplitMain.address as Address;
  const flow = useTransactionFlow();
  const { data: mine } = useReadContracts({ contracts: tokens.map((t) => ({ address: splitMain, abi, functionName: "balanceOf", args: [address, t.address] })), query: { refetchInterval: 4_000 } });
  const myBalances = tokens.map((t, i) => ({ token: t, amount: mine?.[i]?.result as bigint | undefined }));
  const withdrawable = myBalances.filter((b) => b.amount && b.amount > 0n);
  return (
    <div className="space-y-6">
      <Card title="Split tree" testId="split-tree">
        <SplitNode split={root} depth={0} />
      </Card>
      <Card title="Your split balance" testId="split-my-balance">
        {withdrawable.length === 0 ? (
          <p className="text-sm text-slate-600">Nothing credited to you yet. Distribute the splits above you first.</p>
        ) : (
          <ul className="space-y-1 font-mono text-sm">
            {withdrawable.map((b) => (
              <li key={b.token.address} data-testid={`my-split-balance-${b.token.symbol}`}>
                {fmt(b.amount, b.token.decimals, b.token.symbol)}
              </li>
            ))}
          </ul>
        )}
        <div className="mt-3">
          <Button
            testId="split-withdraw"
            disabled={withdrawable.length === 0 || flow.busy}
            onClick={() => flow.run("Withdraw split balance", { address: splitMain, abi, functionName: "withdraw", args: [address, withdrawable.map((b) => b.token.address)] })}
          >
            Withdraw
          </Button>
        </div>
        <TxStatus state={flow.state} earlier={flow.earlier} />
      </Card>
    </div>
  );
}

function SplitNode({ split, depth }: { split: Address; depth: number }) {
  const deployment = useDeployment()!;
  const splitMain = deployment.contracts.SplitMain.address as Address;
  const tokens = useTokens(true);
  const client = usePublicClient();
  const flow = useTransactionFlow();
  const { data: rules } = useReadContract({ address: splitMain, abi, functionName: "rulesOf", args: [split], query: { refetchInterval: 10_000 } });
  const [recipients = [], allocations = [], isSplit = []] = (rules as [Address[], number[], boolean[]] | undefined) ?? [];
  const { data: pending } = useQuery({
    queryKey: ["split-balances", split],
    enabled: !!client,
    refetchInterval: 4_000,
    queryFn: async () =>
      Promise.all(
        tokens.map(async (t) => {
          const held = t.address === zeroAddress ? await client!.getBalance({ address: split }) : await client!.readContract({ address: t.address, abi: erc20Abi, functionName: "balanceOf", args: [split] });
          const ledger = (await client!.readContract({ address: splitMain, abi: splitMainAbi, functionName: "splitBalanceOf", args: [split, t.address] })) as bigint;
          return { token: t, amount: held + ledger };
        }),
      ),
  });
  const { data: credited } = useReadContracts({ contracts: recipients.map((r) => ({ address: splitMain, abi, functionName: "balanceOf", args: [r, tokens[1]?.address ?? zeroAddress] })), query: { refetchInterval: 4_000 } });
  const toDistribute = (pending ?? []).filter((p) => p.amount > 0n);
  if (depth > 6) return null;
  return (
    <div className={depth ? "mt-2 border-l-2 border-slate-200 pl-4" : ""} data-testid={`split-node-${split}`}>
      <p className="text-sm font-semibold text-slate-900">
        Split <span className="font-mono">{short(split)}</span>
      </p>
      <p className="text-xs text-slate-600" data-testid="split-pending">
        To distribute: {toDistribute.length ? toDistribute.map((p) => fmt(p.amount, p.token.decimals, p.token.symbol)).join(", ") : "nothing"}
      </p>
      <div className="mt-1 flex flex-wrap gap-2">
        {toDistribute.map((p) => (
          <Button key={p.token.address} variant="secondary" testId={`distribute-${split}-${p.token.symbol}`} disabled={flow.busy} onClick={() => flow.run(`Distribute ${p.token.symbol} of ${short(split)}`, { address: splitMain, abi, functionName: "distribute", args: [split, p.token.address] })}>
            Distribute {p.token.symbol}
          </Button>
        ))}
      </div>
      <TxStatus state={flow.state} earlier={flow.earlier} />
      <ul className="mt-2 space-y-1">
        {recipients.map((r, i) =>
          isSplit[i] ? (
            <li key={r}>
              <span className="text-xs text-slate-500">{formatPpm(allocations[i] ?? 0)} →</span>
              <SplitNode split={r} depth={depth + 1} />
            </li>
          ) : (
            <li key={r} className="flex justify-between gap-2 text-xs text-slate-700">
              <span>
                {formatPpm(allocations[i] ?? 0)} → <span className="font-mono">{short(r)}</span>
              </span>
              <span className="font-mono">credited {fmt(credited?.[i]?.result as bigint | undefined, tokens[1]?.decimals ?? 18, tokens[1]?.symbol)}</span>
            </li>
          ),
        )}
      </ul>
    </div>
  );
}
