"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError, type Abi, type Address, type Hash, type TransactionReceipt } from "viem";
import { useAccount, useConfig } from "wagmi";
import { readContract, simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { erc20Abi } from "viem";

/** One contract write, as the page describes it. */
export type ContractWrite = {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
};

/** An ERC-20 allowance the write needs: when the current one is lower, an approve step runs first. */
export type AllowanceNeed = { token: Address; spender: Address; amount: bigint; symbol?: string };

/** Another write that must be confirmed first (a one-time authorisation), shown as its own step. */
export type PriorWrite = { label: string; write: ContractWrite };

export type FlowState =
  | { status: "idle" }
  | { status: "pending"; label: string; step: "simulating" | "signing" | "confirming"; hash?: Hash }
  | { status: "confirmed"; label: string; hash: Hash }
  | { status: "failed"; label: string; message: string; hash?: Hash };

/**
 * Every write of the apps pages goes through here: simulate (catches reverts before the wallet opens, with
 * the contract's custom error decoded), write through the connected wallet, wait for the receipt, then
 * refresh every query so balances and lists show the new state. `run` resolves with the receipt, or
 * undefined when the write failed (the state says why).
 */
/** A flow's state and its `run`, as a parent hands it to the component that starts the write. */
export type TransactionFlow = ReturnType<typeof useTransactionFlow>;

export function useTransactionFlow() {
  const config = useConfig();
  const queryClient = useQueryClient();
  const { address } = useAccount();
  const [state, setState] = useState<FlowState>({ status: "idle" });
  // Steps of the current run already confirmed (an approve or authorisation before the write), shown above the current one.
  const [earlier, setEarlier] = useState<FlowState[]>([]);

  const run: (label: string, write: ContractWrite, before?: AllowanceNeed | PriorWrite) => Promise<TransactionReceipt | undefined> = useCallback(
    async (label: string, write: ContractWrite, before?: AllowanceNeed | PriorWrite): Promise<TransactionReceipt | undefined> => {
      let hash: Hash | undefined;
      setEarlier([]);
      try {
        let prior: PriorWrite | undefined = before && "write" in before ? before : undefined;
        if (before && !("write" in before) && before.amount > 0n && address) {
          const current = await readContract(config, { address: before.token, abi: erc20Abi, functionName: "allowance", args: [address, before.spender] });
          if (current < before.amount) {
            prior = { label: `Approve ${before.symbol ?? "token"}`, write: { address: before.token, abi: erc20Abi as Abi, functionName: "approve", args: [before.spender, before.amount] } };
          }
        }
        if (prior) {
          const done = await run(prior.label, prior.write);
          if (!done) return undefined;
          setEarlier([{ status: "confirmed", label: prior.label, hash: done.transactionHash }]);
        }
        setState({ status: "pending", label, step: "simulating" });
        const { request } = await simulateContract(config, { ...write, account: address } as never);
        setState({ status: "pending", label, step: "signing" });
        hash = await writeContract(config, request as never);
        setState({ status: "pending", label, step: "confirming", hash });
        const receipt = await waitForTransactionReceipt(config, { hash });
        if (receipt.status !== "success") throw new Error("The transaction reverted on chain.");
        setState({ status: "confirmed", label, hash });
        await queryClient.invalidateQueries();
        return receipt;
      } catch (error) {
        setState({ status: "failed", label, message: describeError(error, write.abi), hash });
        return undefined;
      }
    },
    [config, address, queryClient],
  );

  const reset = useCallback(() => {
    setState({ status: "idle" });
    setEarlier([]);
  }, []);
  return { state, earlier, run, reset, busy: state.status === "pending" };
}

/** A human sentence for a failed write: the contract's custom error with its arguments, a rejection, or viem's short message. */
export function describeError(error: unknown, _abi?: Abi): string {
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError)) return "You rejected the request in your wallet.";
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const name = reverted.data?.errorName;
      if (name) {
        const args = (reverted.data?.args ?? []).map((a) => (typeof a === "bigint" ? a.toString() : String(a)));
        return `${name}(${args.join(", ")})`;
      }
      return reverted.reason ?? reverted.shortMessage;
    }
    return error.shortMessage;
  }
  if (error && typeof error === "object" && "code" in error && (error as { code: unknown }).code === 4001) {
    return "You rejected the request in your wallet.";
  }
  return error instanceof Error ? error.message : String(error);
}

const STEP_TEXT = { simulating: "Checking…", signing: "Confirm in your wallet…", confirming: "Waiting for confirmation…" } as const;

/** Pending / confirmed / failed banner for a flow, with the transaction hash. */
export function TxStatus({ state, earlier = [], testId = "tx-status" }: { state: FlowState; earlier?: FlowState[]; testId?: string }) {
  if (state.status === "idle") return null;
  if (earlier.length > 0) {
    return (
      <div>
        {earlier.map((step, i) => (
          <TxStatus key={i} state={step} testId={testId} />
        ))}
        <TxStatus state={state} testId={testId} />
      </div>
    );
  }
  const tone =
    state.status === "pending"
      ? "border-amber-200 bg-amber-50 text-amber-900"
      : state.status === "confirmed"
        ? "border-emerald-200 bg-emerald-50 text-emerald-900"
        : "border-red-200 bg-red-50 text-red-900";
  return (
    <div role="status" data-testid={testId} data-status={state.status} className={`mt-3 rounded-xl border px-3 py-2 text-sm ${tone}`}>
      <p className="font-medium">
        {state.label}:{" "}
        {state.status === "pending" ? STEP_TEXT[state.step] : state.status === "confirmed" ? "Confirmed" : "Failed"}
      </p>
      {state.status === "failed" && <p className="mt-1 break-words font-mono text-xs" data-testid="tx-error">{state.message}</p>}
      {"hash" in state && state.hash && (
        <p className="mt-1 truncate font-mono text-xs opacity-80" data-testid="tx-hash" title={state.hash}>
          tx {state.hash}
        </p>
      )}
    </div>
  );
}
