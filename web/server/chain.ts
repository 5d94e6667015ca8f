// Read-only access to the configured EVM chain, and the RPC transport of the server's chain clients (this
// one, the watcher, the sweeper and the subscription keeper).
//
// Several RPC URLs (RPC_URL, then RPC_FALLBACK_URLS) go through viem's `fallback` transport with
// ranking OFF: every call goes to the first URL that answers, in the operator's order. Why not ranked:
// - one view of the chain: the watcher compares block hashes across calls, and two healthy nodes a
//   block apart (or briefly on different forks) give contradicting answers. Ranking re-sorts the URLs
//   by latency every few seconds, so consecutive calls would hop between nodes for no failure at all;
//   without it the answer changes node only when a node fails;
// - the ranker pings every URL forever on its own timer, which nothing can stop (no handle), so a
//   server shutting down or a test creating clients would leak it;
// - the operator's order is the cost order (own node first, paid provider after), which a latency
//   ranking would ignore.
// The price: while the first URL is down, each call pays for its failure before the next URL answers:
// nothing for a refused connection or a 5xx, up to the per-call timeout for a URL that swallows
// requests. Detection slows down by that much but does not stop.
//
// Every URL must serve CHAIN_ID: a fallback URL on another chain would answer with other blocks, which
// the watcher would read as a reorganisation. Each URL's eth_chainId is checked before its first call
// (and again after a failed check); a URL on the wrong chain fails that call, so the fallback moves on.
import type { Logger } from "pino";
import { BaseError, createPublicClient, createTransport, defineChain, fallback, http, type Chain, type PublicClient, type Transport } from "viem";
import type { ServerConfig } from "./config.ts";
import { findDeployment } from "./contracts.ts";

export function configuredChain(config: Pick<ServerConfig, "chainId" | "rpcUrl">): Chain {
  return defineChain({
    id: config.chainId,
    name: findDeployment(config.chainId)?.name ?? `Chain ${config.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
}

export function createChainClient(config: Pick<ServerConfig, "chainId" | "rpcUrl" | "rpcUrls">, logger?: Logger): PublicClient {
  return createPublicClient({
    chain: configuredChain(config),
    // Status checks must answer quickly: a dead RPC is reported as down, not retried for seconds.
    transport: rpcTransport(config.rpcUrls, { chainId: config.chainId, timeout: 2_000, retryCount: 0, logger }),
  });
}

/** An RPC URL that answered eth_chainId with another chain than the configured one. */
export class WrongChainError extends BaseError {
  constructor(url: string, expected: number, actual: number) {
    super(`RPC ${url} serves chain ${actual}, not the configured chain ${expected}`, { name: "WrongChainError" });
  }
}

export type RpcTransportOptions = {
  /** The chain every URL must serve. */
  chainId: number;
  /** Per call and URL (ms). */
  timeout: number;
  /** Retries of a call that failed on every URL. */
  retryCount: number;
  logger?: Logger;
};

/** One URL or several, in fail-over order (the first that answers serves the call). */
export type RpcUrls = string | readonly string[];

export function rpcUrlList(urls: RpcUrls): string[] {
  const list = typeof urls === "string" ? [urls] : [...urls];
  if (list.length === 0) throw new Error("no RPC URL");
  return list;
}

/** The transport of every server-side client (see the comment at the top: fallback, ranking off). */
export function rpcTransport(urls: RpcUrls, options: RpcTransportOptions): Transport {
  const members = rpcUrlList(urls).map((url) => chainCheckedHttp(url, options));
  return fallback(members, { rank: false, retryCount: options.retryCount });
}

function chainCheckedHttp(url: string, options: RpcTransportOptions): Transport {
  const base = http(url, { timeout: options.timeout });
  // Shared by every call through this URL (the fallback instantiates members per call).
  let verified: Promise<void> | undefined;
  let reportedWrongChain = false;
  const verify = (request: (args: { method: string }) => Promise<unknown>) => {
    verified ??= request({ method: "eth_chainId" }).then((answer) => {
      const actual = Number(answer);
      if (actual === options.chainId) return;
      if (!reportedWrongChain) options.logger?.error({ url, expected: options.chainId, actual }, "RPC URL serves another chain: it is skipped");
      reportedWrongChain = true;
      throw new WrongChainError(url, options.chainId, actual);
    });
    // A failed check (URL down, wrong chain) is made again on the next call, not remembered.
    verified.catch(() => (verified = undefined));
    return verified;
  };
  return (parameters) => {
    const inner = base(parameters);
    return createTransport(
      {
        key: inner.config.key,
        name: inner.config.name,
        type: inner.config.type,
        retryCount: 0,
        timeout: inner.config.timeout,
        request: (async (args: Parameters<typeof inner.request>[0], requestOptions?: Parameters<typeof inner.request>[1]) => {
          await verify(inner.request as (args: { method: string }) => Promise<unknown>);
          return inner.request(args, requestOptions);
        }) as typeof inner.request,
      },
      inner.value,
    );
  };
}
