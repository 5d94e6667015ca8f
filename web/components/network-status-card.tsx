"use client";

import { useQuery } from "@tanstack/react-query";
import type { NetworkStatus } from "../server/network.ts";

async function fetchNetworkStatus(): Promise<NetworkStatus> {
  const response = await fetch("/api/network", { cache: "no-store" });
  if (!response.ok) throw new Error(`network status failed (HTTP ${response.status})`);
  return (await response.json()) as NetworkStatus;
}

/** Server-rendered with the status at request time, then refreshed every few seconds. */
export function NetworkStatusCard({ initialStatus }: { initialStatus: NetworkStatus }) {
  const { data: status = initialStatus } = useQuery({
    queryKey: ["network-status"],
    queryFn: fetchNetworkStatus,
    initialData: initialStatus,
    refetchInterval: 4_000,
  });

  return (
    <div className="overflow-hidden rounded-3xl border border-slate-200 bg-white shadow-sm" data-testid="network-status">
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-100 px-6 py-4">
        <div>
          <p className="text-xs font-semibold tracking-wider text-slate-500 uppercase">Network status</p>
          <p className="mt-1 text-lg font-semibold text-slate-900">{status.chainName}</p>
        </div>
        <span
          className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-xs font-semibold ${
            status.rpc.reachable ? "bg-brand-50 text-brand-700" : "bg-red-50 text-red-700"
          }`}
        >
          <span
            className={`size-2 rounded-full ${status.rpc.reachable ? "animate-pulse bg-brand-500" : "bg-red-500"}`}
            aria-hidden
          />
          {status.rpc.reachable ? "RPC online" : "RPC unreachable"}
        </span>
      </div>

      <dl className="grid grid-cols-2 gap-px bg-slate-100 sm:grid-cols-3">
        <Stat label="Chain ID" value={String(status.chainId)} />
        <Stat label="Latest block" value={status.rpc.latestBlock ? `#${status.rpc.latestBlock}` : "—"} />
        <Stat label="Contracts" value={status.deployed ? String(status.contracts.length) : "not deployed"} />
      </dl>

      <div className="px-6 py-5">
        {status.deployed ? (
          <ul className="space-y-3">
            {status.contracts.map((contract) => (
              <AddressRow
                key={contract.name}
                label={contract.name}
                address={contract.address}
                note={`block ${contract.deployedAtBlock}`}
              />
            ))}
            {status.tokens.map((token) => (
              <AddressRow key={token.address} label={token.symbol} address={token.address} note={`${token.decimals} decimals`} />
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600">
            No CoinPays deployment is recorded for chain {status.chainId}. Run the deploy script for this chain, then
            regenerate <code className="font-mono text-xs">@coinpays/sdk/contracts</code>.
          </p>
        )}
      </div>
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="bg-white px-6 py-4">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-1 font-mono text-base font-semibold text-slate-900 tabular-nums">{value}</dd>
    </div>
  );
}

function AddressRow({ label, address, note }: { label: string; address: string; note: string }) {
  return (
    <li className="flex flex-col gap-1 sm:flex-row sm:items-center sm:justify-between">
      <span className="text-sm font-medium text-slate-700">
        {label} <span className="text-xs font-normal text-slate-400">· {note}</span>
      </span>
      <code className="truncate rounded-lg bg-slate-50 px-2 py-1 font-mono text-xs text-slate-600" title={address}>
        {address}
      </code>
    </li>
  );
}
