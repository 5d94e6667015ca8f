// The web server process: opens the database (and migrates it), starts the services, registers
// them for Next.js code, and serves Next.js over one http.Server. Later this process also owns
// the WebSocket hub and the background workers; they start and stop here, next to the database.
import http from "node:http";
import type { AddressInfo } from "node:net";
import next from "next";
import { configuredChain, createChainClient } from "./chain.ts";
import type { ServerConfig } from "./config.ts";
import { openDatabase } from "./db/index.ts";
import { createGatewayApi } from "./gateway/api.ts";
import { serveWithFetchHandler } from "./gateway/http/node.ts";
import { createHealthService } from "./health.ts";
import { createLogger } from "./logger.ts";
import { createNetworkService } from "./network.ts";
import { startGatewayWorkers, type GatewayWorkers } from "./gateway/settlement/index.ts";
import { startJobQueue } from "./jobs.ts";
import { startRealtimeHub, type RealtimeHub } from "./realtime/hub.ts";
import { startP2P, type P2PServices } from "./p2p/index.ts";
import { registerServices, unregisterServices } from "./registry.ts";
import { findDeployment } from "./contracts.ts";
import { relayerAccount } from "./relayer.ts";
import { createSubscriptionRelay } from "./gateway/subscriptions/relay.ts";
import { createSite } from "./site.ts";
import { resealEndpointSecrets } from "./gateway/webhooks/secrets.ts";
import { targetPolicy } from "./gateway/webhooks/targets.ts";
import { clientAddress, CLIENT_ADDRESS_HEADER, createRateLimits } from "./security/rate-limit.ts";
import { securityHeaders } from "./security/headers.ts";

/** Paths the gateway router answers without Next.js: /api/v1 and everything under it. */
const GATEWAY_API_PATH = /^\/api\/v1(?:[/?#]|$)/;

export type RunningServer = {
  url: string;
  /** Stops accepting connections, finishes in-flight requests, then closes the database. */
  close(): Promise<void>;
};

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const logger = createLogger(config);
  const startedAt = performance.now();
  const site = createSite(config.publicOrigins);
  if (config.production && config.unsafeFeatures.size > 0) {
    logger.warn({ unsafeDevFeatures: [...config.unsafeFeatures] }, "production build running with development features named in UNSAFE_DEV_FEATURES: never do this with real money");
  }

  const database = await openDatabase(config.database, logger);
  let httpServer: http.Server | undefined;
  let nextApp: ReturnType<typeof next> | undefined;
  let registered = false;
  let hub: RealtimeHub | undefined;
  let boss: Awaited<ReturnType<typeof startJobQueue>> | undefined;
  let workers: GatewayWorkers | undefined;
  const stopBackground = async () => {
    clearInterval(pruneTimer);
    await workers?.stop();
    await hub?.close();
    await boss?.stop({ graceful: true, timeout: 10_000 });
  };
  let p2p: P2PServices | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;

  try {
    await database.migrate();
    const migrations = await database.migrationStatus();
    logger.info({ database: database.kind, ...migrations }, "database migrated");
    // Webhook signing secrets written in plaintext (before sealing, or by an older process) are sealed now.
    await resealEndpointSecrets(database.db, config.keyring, logger);

    const rateLimits = createRateLimits({ db: database.db, logger });
    pruneTimer = setInterval(() => void rateLimits.prune().catch((error: unknown) => logger.warn({ err: error }, "rate limit pruning failed")), 10 * 60_000);
    pruneTimer.unref();
    const chainClient = createChainClient(config, logger);
    const deployment = findDeployment(config.chainId);
    const relayer = relayerAccount(config.gateway.relayer);
    p2p = await startP2P({ database, logger, config: config.p2p, site, rateLimits });
    const gateway = createGatewayApi({
      db: database.db,
      chainClient,
      chainId: config.chainId,
      production: config.production,
      site,
      rateLimits,
      logger,
      webhookDelivery: () => workers?.webhooks,
      keyring: config.keyring,
      webhookTargets: targetPolicy(config.unsafeFeatures),
      indexerUrl: config.indexerUrl,
      indexerApiSecret: config.indexerApiSecret,
      subscriptionRelay:
        deployment && relayer
          ? createSubscriptionRelay({ db: database.db, logger, chainId: config.chainId, rpcUrls: config.rpcUrls, contract: deployment.contracts.Subscriptions.address, relayer })
          : undefined,
    });
    registerServices({
      logger,
      site,
      database,
      chain: { id: config.chainId, name: configuredChain(config).name, rpcUrl: config.rpcUrl },
      health: createHealthService({
        database,
        chain: chainClient,
        expectedChainId: config.chainId,
        indexerUrl: config.indexerUrl,
      }),
      network: createNetworkService({ chain: chainClient, chainId: config.chainId }),
      gateway,
      p2p,
    });
    registered = true;

    httpServer = http.createServer();
    nextApp = next({
      dev: config.nodeEnv !== "production",
      dir: config.webRoot,
      hostname: config.host,
      port: config.port,
      // Next attaches its upgrade handler (dev HMR) to this server. The WebSocket hub will claim
      // its own path (/ws) before delegating other upgrades to Next.
      httpServer,
      quiet: true,
    });
    await nextApp.prepare();
    const handleWithNext = nextApp.getRequestHandler();

    // Live status at /ws. The hub claims its path before any other upgrade listener (Next's, which
    // it may attach at any time) sees the request: an `upgrade` for /ws never reaches Next.
    hub = await startRealtimeHub({
      db: database.db,
      logger,
      accounts: {
        sessionCookie: gateway.sessionCookieName,
        authenticate: gateway.services.auth.authenticate,
        authenticateApiKey: gateway.services.keys.authenticate,
        effectiveRole: gateway.services.merchants.effectiveRole,
        lineage: gateway.services.merchants.lineage,
      },
      site,
      ...(config.database.kind === "postgres"
        ? { listenUrl: config.database.url }
        : { pglite: (database.db as unknown as { $client: Parameters<typeof startRealtimeHub>[0]["pglite"] }).$client }),
    });
    const liveHub = hub;
    const emit = httpServer.emit.bind(httpServer);
    httpServer.emit = ((event: string, ...args: unknown[]) => {
      if (event === "upgrade" && liveHub.handleUpgrade(...(args as Parameters<RealtimeHub["handleUpgrade"]>))) return true;
      return emit(event, ...args);
    }) as typeof httpServer.emit;
    // Node only emits `upgrade` when someone listens (otherwise the request goes to Next as plain
    // HTTP). This listener sees the upgrades the hub did not claim; with nobody else (Next in
    // production) there is no one to answer them.
    httpServer.on("upgrade", (_request: http.IncomingMessage, socket: import("node:stream").Duplex) => {
      if (httpServer!.listenerCount("upgrade") === 1) socket.destroy();
    });

    if (config.gateway.workers) {
      boss = await startJobQueue(database, config.database.kind === "postgres" ? config.database : { kind: "pglite" }, logger);
      workers = await startGatewayWorkers({ config, database, boss, logger });
    }

    let edgeHeaders: Record<string, string> | undefined;
    httpServer.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
      const requestStartedAt = performance.now();
      edgeHeaders ??= securityHeaders({ https: site.origin().startsWith("https:") });
      for (const [name, value] of Object.entries(edgeHeaders)) response.setHeader(name, value);
      // The one place a request's client address is decided (rate limits, notification sources):
      // a client's own value of the header is replaced, never believed.
      const address = clientAddress(request.socket.remoteAddress, request.headers["x-forwarded-for"], config.trustedProxies);
      request.headers[CLIENT_ADDRESS_HEADER] = address;
      const raw: string[] = [];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        if (request.rawHeaders[i]!.toLowerCase() !== CLIENT_ADDRESS_HEADER) raw.push(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
      }
      request.rawHeaders = [...raw, CLIENT_ADDRESS_HEADER, address];
      response.on("finish", () => {
        const path = request.url ?? "/";
        // Static assets are not events worth a line each in production logs.
        const level = path.startsWith("/_next/") ? "debug" : "info";
        logger[level](
          {
            method: request.method,
            path,
            status: response.statusCode,
            durationMs: Math.round(performance.now() - requestStartedAt),
          },
          "request completed",
        );
      });
      // The orders API is answered here, before Next: its route table needs no framework (and
      // serves its own OpenAPI document); Next keeps the pages and the session-cookie APIs.
      const handled = GATEWAY_API_PATH.test(request.url ?? "/") ? serveWithFetchHandler(gateway.handle, request, response) : handleWithNext(request, response);
      handled.catch((error: unknown) => {
        logger.error({ err: error, path: request.url }, "request handler failed");
        if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { code: "internal_error", message: "Internal server error" } }));
      });
    });

    const address = await listen(httpServer, config.port, config.host);
    const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
    site.bindListenUrl(url);
    logger.info(
      { url, publicUrl: site.origin(), dev: !config.production, chainId: config.chainId, startupMs: Math.round(performance.now() - startedAt) },
      "server listening",
    );

    const server = httpServer;
    const app = nextApp;
    let closing: Promise<void> | undefined;
    return {
      url,
      close() {
        closing ??= (async () => {
          logger.info("server shutting down");
          await stopBackground();
          await stopHttpServer(server);
          await app.close();
          unregisterServices();
          await p2p?.stop();
          await database.close();
          logger.info("server stopped");
        })();
        return closing;
      },
    };
  } catch (error) {
    // Release whatever was started, so a failed start does not leave the process hanging.
    await stopBackground().catch(() => undefined);
    if (httpServer?.listening) await stopHttpServer(httpServer);
    await nextApp?.close().catch(() => undefined);
    if (registered) unregisterServices();
    await p2p?.stop().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}

function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting connections and waits for in-flight requests; idle keep-alives are dropped. */
function stopHttpServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
