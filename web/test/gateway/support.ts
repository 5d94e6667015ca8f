// Shared fixture for the gateway API tests: a fresh PostgreSQL database, the production server as
// a child process, and small clients for wallets (SIWE sign-in), sessions and API keys.
import { privateKeyToAccount, generatePrivateKey, type PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { startFakeChain, startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { createTemporaryDatabase, withClient, type TemporaryDatabase } from "../support/postgres.ts";
import { startServerProcess, type ServerProcess } from "../support/server-process.ts";

export const CHAIN_ID = 31337;

export type Gateway = {
  url: string;
  host: string;
  database: TemporaryDatabase;
  server: ServerProcess;
  close(): Promise<void>;
  count(table: string): Promise<number>;
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
};

/**
 * Starts the server on a fresh database; `rpcUrl` defaults to a fake chain (no eth_call), `indexerUrl` to a
 * fake indexer that only answers /ready.
 */
export async function startGateway(label: string, options: { rpcUrl?: string; indexerUrl?: string } = {}): Promise<Gateway> {
  const database = await createTemporaryDatabase(label);
  const chain: FakeDependency | undefined = options.rpcUrl ? undefined : await startFakeChain(CHAIN_ID, 1n);
  const indexer: FakeDependency | undefined = options.indexerUrl ? undefined : await startFakeIndexer(200);
  const server = await startServerProcess({
    DATABASE_URL: database.url,
    CHAIN_ID: String(CHAIN_ID),
    RPC_URL: options.rpcUrl ?? chain!.url,
    INDEXER_URL: options.indexerUrl ?? indexer!.url,
  });
  return {
    url: server.url,
    host: new URL(server.url).host,
    database,
    server,
    async close() {
      await server.stop("SIGKILL").catch(() => undefined);
      await Promise.all([chain?.close(), indexer?.close()]);
      await database.drop();
    },
    count: (table) => withClient(database.url, async (client) => Number((await client.query(`select count(*)::int as n from ${table}`)).rows[0].n)),
    sql: (text, values = []) => withClient(database.url, async (client) => (await client.query(text, values)).rows),
  };
}

export type HttpResult<T = any> = { status: number; body: T; headers: Headers };

export async function call<T = any>(gateway: Gateway, method: string, path: string, options: { body?: unknown; rawBody?: string; cookie?: string; apiKey?: string; headers?: Record<string, string> } = {}): Promise<HttpResult<T>> {
  // A signed-in request is what the site's own pages send: the browser adds their Origin.
  const headers: Record<string, string> = { ...(options.cookie ? { origin: gateway.url } : {}), ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  // An empty value drops the header (a test's way to send no Origin or no Content-Type at all).
  for (const [name, value] of Object.entries(headers)) if (value === "") delete headers[name];
  const response = await fetch(`${gateway.url}${path}`, { method, headers, body });
  const type = response.headers.get("content-type") ?? "";
  const parsed = type.includes("json") ? await response.json() : await response.text();
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export function siweMessage(gateway: Gateway, account: PrivateKeyAccount, nonce: string, overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {}): string {
  return createSiweMessage({
    address: account.address,
    chainId: CHAIN_ID,
    domain: gateway.host,
    nonce,
    uri: gateway.url,
    version: "1",
    statement: "Sign in to CoinPays",
    ...overrides,
  });
}

export type SignedIn = { account: PrivateKeyAccount; cookie: string; userId: string };

/** Full SIWE flow for a new random wallet (or the given one); returns the session cookie. */
export async function signIn(gateway: Gateway, account: PrivateKeyAccount = privateKeyToAccount(generatePrivateKey())): Promise<SignedIn> {
  const { body: nonce } = await call(gateway, "GET", "/api/auth/nonce");
  const message = siweMessage(gateway, account, nonce.nonce);
  const signature = await account.signMessage({ message });
  const result = await call(gateway, "POST", "/api/auth/verify", { body: { message, signature } });
  if (result.status !== 200) throw new Error(`sign-in failed: ${result.status} ${JSON.stringify(result.body)}`);
  const cookie = result.headers.get("set-cookie")!.split(";")[0]!;
  return { account, cookie, userId: result.body.user.id };
}

export const PAYOUT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

export async function createMerchant(gateway: Gateway, user: SignedIn, name = "Shop", extra: Record<string, unknown> = {}): Promise<{ id: string }> {
  const result = await call(gateway, "POST", "/api/merchants", { cookie: user.cookie, body: { name, payoutAddress: PAYOUT, ...extra } });
  if (result.status !== 201) throw new Error(`merchant: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

export async function createApiKey(gateway: Gateway, user: SignedIn, merchantId: string): Promise<{ id: string; secret: string }> {
  const result = await call(gateway, "POST", `/api/merchants/${merchantId}/api-keys`, { cookie: user.cookie, body: { name: "test" } });
  if (result.status !== 201) throw new Error(`api key: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}
