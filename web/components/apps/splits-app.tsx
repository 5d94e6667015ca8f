"use client";

import { parseAmount } from "@coinpays/sdk";
import { splitMainAbi } from "@coinpays/sdk/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { erc20Abi, getAddress, isAddress, parseEventLogs, zeroAddress, type Abi, type Address, type Hex } from "viem";
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
      <SplitRules key={root} split={root} />
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

type SplitConfig = { controller: Address; version: number; height: number; recipientCount: number; distributorFeePpm: number };

/**
 * The split's rules as a versioned document (every version's id, from SplitCreated / SplitUpdated), and for
 * its controller: replace the rules, and hand control over in two steps (start → the new controller accepts).
 */
function SplitRules({ split }: { split: Address }) {
  const deployment = useDeployment()!;
  const splitMain = deployment.contracts.SplitMain.address as Address;
  const client = usePublicClient();
  const { address: me } = useAccount();
  const flow = useTransactionFlow();
  const { data } = useReadContracts({
    contracts: [
      { address: splitMain, abi, functionName: "configOf", args: [split] },
      { address: splitMain, abi, functionName: "ruleSetOf", args: [split] },
      { address: splitMain, abi, functionName: "pendingControllerOf", args: [split] },
      { address: splitMain, abi, functionName: "rulesOf", args: [split] },
    ],
    query: { refetchInterval: 4_000 },
  });
  const config = data?.[0]?.result as SplitConfig | undefined;
  const ruleSetId = data?.[1]?.result as Hex | undefined;
  const pending = data?.[2]?.result as Address | undefined;
  const [recipients = [], allocations = []] = (data?.[3]?.result as [Address[], number[], boolean[]] | undefined) ?? [];
  const { data: history = [] } = useQuery({
    queryKey: ["split-history", split, config?.version],
    enabled: !!client,
    queryFn: async () => {
      const [created, updated] = await Promise.all([
        client!.getContractEvents({ address: splitMain, abi: splitMainAbi, eventName: "SplitCreated", args: { split }, fromBlock: 0n }),
        client!.getContractEvents({ address: splitMain, abi: splitMainAbi, eventName: "SplitUpdated", args: { split }, fromBlock: 0n }),
      ]);
      return [...created, ...updated]
        .map((log) => ({ version: Number(log.args.version), ruleSetId: log.args.ruleSetId as Hex, recipients: (log.args.recipients ?? []) as readonly Address[], allocations: (log.args.allocations ?? []) as readonly number[], block: log.blockNumber }))
        .sort((a, b) => b.version - a.version);
    },
  });
  const isController = !!config && !!me && config.controller !== zeroAddress && config.controller.toLowerCase() === me.toLowerCase();
  const isPending = !!pending && !!me && pending !== zeroAddress && pending.toLowerCase() === me.toLowerCase();

  return (
    <Card title="Rules and control" testId="split-rules" aside={config && <Badge tone={config.controller === zeroAddress ? "slate" : "blue"}>{config.controller === zeroAddress ? "immutable" : "mutable"}</Badge>}>
      {config && (
        <dl className="grid grid-cols-[8rem_1fr] gap-1 text-sm" data-testid="split-rules-current" data-version={config.version} data-rule-set={ruleSetId}>
          <dt className="text-slate-500">Version</dt>
          <dd data-testid="split-rules-version">v{config.version}</dd>
          <dt className="text-slate-500">Rule-set id</dt>
          <dd className="truncate font-mono text-xs" title={ruleSetId} data-testid="split-rules-id">{ruleSetId}</dd>
          <dt className="text-slate-500">Controller</dt>
          <dd className="font-mono text-xs" data-testid="split-controller">{config.controller === zeroAddress ? "none (immutable)" : config.controller}</dd>
          {pending && pending !== zeroAddress && (
            <>
              <dt className="text-slate-500">Handing over to</dt>
              <dd className="font-mono text-xs" data-testid="split-pending-controller">{pending}</dd>
            </>
          )}
        </dl>
      )}
      <details className="mt-3 text-xs text-slate-600">
        <summary className="cursor-pointer">Every version of the rules ({history.length})</summary>
        <ol className="mt-2 space-y-1" data-testid="split-rules-history">
          {history.map((entry) => (
            <li key={entry.version} data-version={entry.version}>
              v{entry.version} · <span className="font-mono">{entry.ruleSetId.slice(0, 18)}…</span> ·{" "}
              {entry.recipients.map((r, i) => `${short(r)} ${formatPpm(entry.allocations[i] ?? 0)}`).join(", ")}
            </li>
          ))}
        </ol>
      </details>
      {isController && config && (
        <>
          <UpdateRules split={split} current={{ recipients, allocations, feePpm: config.distributorFeePpm }} flow={flow} />
          <TransferControl split={split} pending={pending} flow={flow} />
        </>
      )}
      {isPending && (
        <div className="mt-4">
          <p className="text-sm text-slate-700">You have been offered control of this split.</p>
          <Button testId="split-accept-control" disabled={flow.busy} onClick={() => flow.run("Accept control", { address: splitMain, abi, functionName: "acceptControl", args: [split] })}>
            Accept control
          </Button>
        </div>
      )}
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </Card>
  );
}

type Flow = ReturnType<typeof useTransactionFlow>;

function UpdateRules({ split, current, flow }: { split: Address; current: { recipients: readonly Address[]; allocations: readonly number[]; feePpm: number }; flow: Flow }) {
  const splitMain = useDeployment()!.contracts.SplitMain.address as Address;
  const [rows, setRows] = useState<{ recipient: string; percent: string }[]>(() => current.recipients.map((recipient, i) => ({ recipient, percent: formatPpm(current.allocations[i] ?? 0).replace("%", "") })));
  const [fee, setFee] = useState(formatPpm(current.feePpm).replace("%", ""));
  const [result, setResult] = useState<{ version: number; ruleSetId: Hex }>();
  const parsed = rows.map((r) => ({ recipient: r.recipient.trim(), ppm: percentToPpm(r.percent) }));
  const total = parsed.reduce((sum, r) => sum + (r.ppm ?? 0n), 0n);
  const feePpm = percentToPpm(fee);
  const valid = parsed.length > 0 && parsed.every((r) => isAddress(r.recipient) && r.ppm !== undefined && r.ppm > 0n) && total === PPM && feePpm !== undefined && feePpm <= 100_000n;
  const update = (i: number, patch: Partial<{ recipient: string; percent: string }>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  async function submit() {
    const pairs = parsed.map((r) => ({ recipient: getAddress(r.recipient), ppm: Number(r.ppm) })).sort((a, b) => (BigInt(a.recipient) < BigInt(b.recipient) ? -1 : 1));
    const receipt = await flow.run("Update rules", { address: splitMain, abi, functionName: "updateSplit", args: [split, pairs.map((p) => p.recipient), pairs.map((p) => p.ppm), Number(feePpm)] });
    const [event] = receipt ? parseEventLogs({ abi: splitMainAbi, logs: receipt.logs, eventName: "SplitUpdated" }) : [];
    if (event) setResult({ version: Number(event.args.version), ruleSetId: event.args.ruleSetId });
  }

  return (
    <div className="mt-4 space-y-2 border-t border-slate-100 pt-3" data-testid="split-update">
      <h3 className="text-xs font-semibold tracking-wider text-slate-500 uppercase">Replace the rules</h3>
      <p className="text-xs text-slate-500">Money already in the split follows the new rules when next distributed: distribute first if the old ones should apply to it.</p>
      {rows.map((row, i) => (
        <div key={i} className="grid grid-cols-[1fr_6rem_auto] items-end gap-2">
          <Field label={`Recipient ${i + 1}`}>
            <input className={inputClass} name={`update-recipient-${i}`} value={row.recipient} onChange={(e) => update(i, { recipient: e.target.value })} />
          </Field>
          <Field label="%">
            <input className={inputClass} name={`update-percent-${i}`} inputMode="decimal" value={row.percent} onChange={(e) => update(i, { percent: e.target.value })} />
          </Field>
          <button type="button" aria-label={`Remove recipient ${i + 1} from the new rules`} className="mb-2 text-slate-400 hover:text-red-600" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <div className="flex flex-wrap items-end gap-2">
        <Button variant="secondary" onClick={() => setRows((rs) => [...rs, { recipient: "", percent: "" }])}>+ Recipient</Button>
        <Field label="Distributor fee %" error={feePpm === undefined || feePpm > 100_000n ? "0 to 10" : undefined}>
          <input className={`${inputClass} w-24`} name="update-fee" inputMode="decimal" value={fee} onChange={(e) => setFee(e.target.value)} />
        </Field>
      </div>
      <p className={`text-xs ${total === PPM ? "text-emerald-700" : "text-slate-500"}`} data-testid="split-update-total">
        Total {formatPpm(total)} {total === PPM ? "✓" : "(must be exactly 100%)"}
      </p>
      <Button testId="split-update-submit" disabled={!valid || flow.busy} onClick={submit}>
        Update rules
      </Button>
      {result && (
        <p className="text-xs text-emerald-800" data-testid="split-update-result" data-version={result.version} data-rule-set={result.ruleSetId}>
          Now v{result.version}, rule-set id <span className="break-all font-mono">{result.ruleSetId}</span>
        </p>
      )}
    </div>
  );
}

function TransferControl({ split, pending, flow }: { split: Address; pending?: Address; flow: Flow }) {
  const splitMain = useDeployment()!.contracts.SplitMain.address as Address;
  const [to, setTo] = useState("");
  const target = isAddress(to.trim()) ? getAddress(to.trim()) : undefined;
  const handingOver = !!pending && pending !== zeroAddress;
  return (
    <div className="mt-4 space-y-2 border-t border-slate-100 pt-3" data-testid="split-transfer">
      <h3 className="text-xs font-semibold tracking-wider text-slate-500 uppercase">Hand over control</h3>
      <p className="text-xs text-slate-500">Two steps: you name the new controller, and it takes effect only when that address accepts. Until then you stay in control and can cancel.</p>
      <div className="flex items-end gap-2">
        <Field label="New controller" error={to.trim() !== "" && !target ? "Not an address" : undefined}>
          <input className={inputClass} name="new-controller" placeholder="0x…" value={to} onChange={(e) => setTo(e.target.value)} />
        </Field>
        <Button testId="split-transfer-submit" disabled={!target || flow.busy} onClick={() => flow.run("Start control transfer", { address: splitMain, abi, functionName: "transferControl", args: [split, target] })}>
          Offer control
        </Button>
        {handingOver && (
          <Button variant="secondary" testId="split-transfer-cancel" disabled={flow.busy} onClick={() => flow.run("Cancel control transfer", { address: splitMain, abi, functionName: "transferControl", args: [split, zeroAddress] })}>
            Cancel hand-over
          </Button>
        )}
      </div>
    </div>
  );
}
