// The production server on a fresh database, for the webhook attack tests: like `startGateway`, but
// with the environment the test names (e.g. UNSAFE_DEV_FEATURES without "local-webhooks") and a
// restart on the same database (start-up work such as re-sealing secrets). Plus a raw TCP listener
// that only counts connections: a receiver the server must never even reach.
import net from "node:net";
import { startFakeChain, startFakeIndexer } from "../../support/fake-dependencies.ts";
import { createTemporaryDatabase, withClient } from "../../support/postgres.ts";
import { startServerProcess, type ServerProcess } from "../../support/server-process.ts";
import { CHAIN_ID, type Gateway } from "../support.ts";

/** What a production deployment without "local-webhooks" names (TEST_PRODUCTION_ENV's list less that one). */
export const WITHOUT_LOCAL_WEBHOOKS = { UNSAFE_DEV_FEATURES: "dev-chain,p2p-sandbox,p2p-dev-tools,mail-outbox" };

export type RestartableGateway = Gateway & { restart(): Promise<void> };

export async function startWebhookGateway(label: string, env: Record<string, string> = {}): Promise<RestartableGateway> {
  const database = await createTemporaryDatabase(label);
  const [chain, indexer] = await Promise.all([startFakeChain(CHAIN_ID, 1n), startFakeIndexer(200)]);
  const serverEnv = { DATABASE_URL: database.url, CHAIN_ID: String(CHAIN_ID), RPC_URL: chain.url, INDEXER_URL: indexer.url, ...env };
  let server: ServerProcess = await startServerProcess(serverEnv);
  const gateway: RestartableGateway = {
    url: server.url,
    host: new URL(server.url).host,
    database,
    get server() {
      return server;
    },
    async restart() {
      await server.stop("SIGTERM");
      // Same port: the site's configured origin (and so SIWE and the session cookie) stays the same.
      server = await startServerProcess({ ...serverEnv, PORT: new URL(server.url).port });
    },
    async close() {
      await server.stop("SIGKILL").catch(() => undefined);
      await Promise.all([chain.close(), indexer.close()]);
      await database.drop();
    },
    count: (table) => withClient(database.url, async (client) => Number((await client.query(`select count(*)::int as n from ${table}`)).rows[0].n)),
    sql: (text, values = []) => withClient(database.url, async (client) => (await client.query(text, values)).rows),
  };
  return gateway;
}

/** A TCP port that accepts and counts connections and never answers: "did the server reach it at all?". */
export async function startConnectionCounter(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => undefined).on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
