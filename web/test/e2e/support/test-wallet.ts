/**
 * An injected test wallet for browser tests: a real EIP-1193 provider in the page whose signing happens in
 * Node with a viem local account (a Hardhat dev key), so pages are driven exactly as with MetaMask, minus
 * the pop-ups.
 *
 * ## API
 *
 * ```ts
 * const wallet = await installTestWallet(page, { rpcUrl, chainId: 31337, account: devAccount(2) });
 * await page.goto(url);                     // the provider is injected before any page script runs
 * // the page's "Connect wallet" menu now lists "CoinPays Test Wallet" (announced through EIP-6963; it is
 * // also window.ethereum for legacy code)
 * wallet.address;                           // the connected account
 * await wallet.switchAccount(devAccount(3)); // emits accountsChanged in the page
 * wallet.rejectNext("eth_sendTransaction"); // the next such request fails with 4001 (user rejected)
 * wallet.requests;                          // every request the page made: { method, params }[]
 * wallet.transactions;                      // hashes of the transactions the wallet sent, in order
 * ```
 *
 * Handled in Node: eth_requestAccounts, eth_accounts (empty until connected), eth_chainId, net_version,
 * wallet_switchEthereumChain (only to `chainId`; 4902 otherwise), wallet_requestPermissions /
 * wallet_getPermissions / wallet_revokePermissions, personal_sign, eth_sign, eth_signTypedData_v4,
 * eth_sendTransaction (nonce, gas and fees filled by viem, sent with eth_sendRawTransaction). Every other
 * method is forwarded verbatim to `rpcUrl` and its JSON-RPC error (code, message, revert data) is passed back
 * unchanged, so the dapp decodes custom errors as it would with any wallet.
 *
 * One call of `installTestWallet` per page (it uses `page.exposeFunction`, which cannot be repeated).
 */
import type { Page } from "playwright-core";
import { createWalletClient, defineChain, http, type Hex, type LocalAccount } from "viem";

export const TEST_WALLET_INFO = {
  uuid: "6f0c3b0e-4c39-4a43-9d57-2f2a5d1d0c01",
  name: "CoinPays Test Wallet",
  rdns: "dev.coinpays.testwallet",
  icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%2316a34a'/%3E%3C/svg%3E",
} as const;

export interface TestWalletOptions {
  rpcUrl: string;
  chainId: number;
  account: LocalAccount;
  /** Connected from the start (eth_accounts answers the account before any eth_requestAccounts). */
  preconnected?: boolean;
}

export interface TestWallet {
  readonly address: `0x${string}`;
  readonly account: LocalAccount;
  readonly requests: { method: string; params: unknown }[];
  readonly transactions: Hex[];
  switchAccount(account: LocalAccount): Promise<void>;
  rejectNext(method: string): void;
}

type RpcError = { code: number; message: string; data?: unknown };
type RpcReply = { result?: unknown; error?: RpcError };

export async function installTestWallet(page: Page, options: TestWalletOptions): Promise<TestWallet> {
  const chainHex = `0x${options.chainId.toString(16)}` as const;
  const chain = defineChain({
    id: options.chainId,
    name: `chain-${options.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  let account = options.account;
  let connected = options.preconnected ?? false;
  const rejections = new Set<string>();
  const requests: { method: string; params: unknown }[] = [];
  const transactions: Hex[] = [];
  let rpcId = 0;

  async function forward(method: string, params: unknown): Promise<RpcReply> {
    const response = await fetch(options.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params: params ?? [] }),
    });
    const body = (await response.json()) as RpcReply;
    return body.error ? { error: body.error } : { result: body.result };
  }

  async function handle(method: string, params: unknown[]): Promise<RpcReply> {
    if (rejections.delete(method)) return { error: { code: 4001, message: "User rejected the request." } };
    switch (method) {
      case "eth_requestAccounts":
      case "wallet_requestPermissions":
        connected = true;
        return method === "eth_requestAccounts" ? { result: [account.address] } : { result: [{ parentCapability: "eth_accounts" }] };
      case "wallet_getPermissions":
        return { result: connected ? [{ parentCapability: "eth_accounts" }] : [] };
      case "wallet_revokePermissions":
        connected = false;
        return { result: null };
      case "eth_accounts":
        return { result: connected ? [account.address] : [] };
      case "eth_chainId":
        return { result: chainHex };
      case "net_version":
        return { result: String(options.chainId) };
      case "wallet_switchEthereumChain": {
        const wanted = (params[0] as { chainId?: string } | undefined)?.chainId;
        if (wanted && BigInt(wanted) === BigInt(options.chainId)) return { result: null };
        return { error: { code: 4902, message: `Unrecognized chain ID ${wanted}; the test wallet only knows ${chainHex}.` } };
      }
      case "personal_sign":
        return { result: await account.signMessage({ message: { raw: params[0] as Hex } }) };
      case "eth_sign":
        return { result: await account.signMessage({ message: { raw: params[1] as Hex } }) };
      case "eth_signTypedData_v4": {
        const typed = JSON.parse(params[1] as string) as { domain: object; types: Record<string, unknown>; primaryType: string; message: object };
        const { EIP712Domain: _domainType, ...types } = typed.types;
        return { result: await account.signTypedData({ domain: typed.domain, types, primaryType: typed.primaryType, message: typed.message } as never) };
      }
      case "eth_sendTransaction": {
        const tx = params[0] as { from?: string; to?: Hex; data?: Hex; input?: Hex; value?: Hex; gas?: Hex };
        if (tx.from && tx.from.toLowerCase() !== account.address.toLowerCase()) {
          return { error: { code: 4100, message: `The test wallet holds ${account.address}, not ${tx.from}.` } };
        }
        const client = createWalletClient({ account, chain, transport: http(options.rpcUrl, { retryCount: 0 }) });
        try {
          const hash = await client.sendTransaction({
            to: tx.to,
            data: tx.data ?? tx.input,
            value: tx.value ? BigInt(tx.value) : undefined,
            gas: tx.gas ? BigInt(tx.gas) : undefined,
          } as never);
          transactions.push(hash);
          return { result: hash };
        } catch (error) {
          const cause = error as { details?: string; shortMessage?: string; message: string };
          return { error: { code: -32603, message: cause.details ?? cause.shortMessage ?? cause.message } };
        }
      }
      default:
        return forward(method, params);
    }
  }

  await page.exposeFunction("__coinpaysTestWalletRequest", async (json: string): Promise<string> => {
    const { method, params } = JSON.parse(json) as { method: string; params?: unknown[] };
    requests.push({ method, params });
    try {
      return JSON.stringify(await handle(method, Array.isArray(params) ? params : []));
    } catch (error) {
      return JSON.stringify({ error: { code: -32603, message: (error as Error).message } });
    }
  });

  await page.addInitScript(
    ({ info, chainHex: initialChain }) => {
      type Listener = (...args: unknown[]) => void;
      const listeners = new Map<string, Set<Listener>>();
      const bridge = (window as unknown as { __coinpaysTestWalletRequest: (json: string) => Promise<string> }).__coinpaysTestWalletRequest;
      const provider = {
        isCoinPaysTestWallet: true,
        isMetaMask: false,
        chainId: initialChain,
        async request({ method, params }: { method: string; params?: unknown[] }) {
          const reply = JSON.parse(await bridge(JSON.stringify({ method, params }))) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
          if (reply.error) {
            const error = new Error(reply.error.message) as Error & { code: number; data?: unknown };
            error.code = reply.error.code;
            error.data = reply.error.data;
            throw error;
          }
          if (method === "eth_requestAccounts") emit("connect", { chainId: initialChain });
          return reply.result;
        },
        on(event: string, listener: Listener) {
          if (!listeners.has(event)) listeners.set(event, new Set());
          listeners.get(event)!.add(listener);
          return provider;
        },
        removeListener(event: string, listener: Listener) {
          listeners.get(event)?.delete(listener);
          return provider;
        },
      };
      function emit(event: string, ...args: unknown[]) {
        for (const listener of listeners.get(event) ?? []) listener(...args);
      }
      Object.defineProperty(window, "ethereum", { value: provider, configurable: true });
      Object.defineProperty(window, "__coinpaysTestWalletEmit", { value: emit });
      const announce = () =>
        window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
      window.addEventListener("eip6963:requestProvider", announce);
      announce();
    },
    { info: TEST_WALLET_INFO, chainHex },
  );

  return {
    get address() {
      return account.address;
    },
    get account() {
      return account;
    },
    requests,
    transactions,
    async switchAccount(next: LocalAccount) {
      account = next;
      await page.evaluate((address) => (window as unknown as { __coinpaysTestWalletEmit: (e: string, a: unknown) => void }).__coinpaysTestWalletEmit("accountsChanged", [address]), next.address);
    },
    rejectNext(method: string) {
      rejections.add(method);
    },
  };
}
