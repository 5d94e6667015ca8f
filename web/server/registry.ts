// Hand-over point between the server process and Next.js code (route handlers, server components).
//
// Why globalThis: `next build` bundles route handlers and pages into their own chunks under
// .next/server, which Next loads inside this same process. A module imported both by server.ts
// and by a route handler therefore exists twice, with separate state: a module-level variable set
// by startServer would be undefined in the route. globalThis is the one object both copies share,
// so startServer registers the started services there, and route handlers only ever *read* them.
// That keeps a single database pool per process and keeps the services framework-free.
//
// Only type imports here: this file is bundled into every route that uses it and must not drag
// drivers (pg, PGlite) into the Next bundle.
import type { Logger } from "pino";
import type { Database } from "./db/index.ts";
import type { GatewayApi } from "./gateway/api.ts";
import type { HealthService } from "./health.ts";
import type { NetworkService } from "./network.ts";
import type { P2PServices } from "./p2p/index.ts";
import type { Site } from "./site.ts";

/** What the browser needs to talk to the configured chain (public by nature: no secrets). */
export type PublicChainConfig = { id: number; name: string; rpcUrl: string };

export type ServerServices = {
  logger: Logger;
  /** The site's configured origin(s): route handlers check Origin against it, never against Host. */
  site: Pick<Site, "origin" | "isOwnOrigin">;
  database: Database;
  chain: PublicChainConfig;
  health: HealthService;
  network: NetworkService;
  /** Auth, merchants, API keys and the orders API (/api/auth, /api/merchants, /api/v1). */
  gateway: Pick<GatewayApi, "handle">;
  /** The P2P ruble desk (server/p2p). */
  p2p: P2PServices;
};

const REGISTRY_KEY = Symbol.for("coinpays.web.services");

type GlobalWithServices = typeof globalThis & { [REGISTRY_KEY]?: ServerServices };

export function registerServices(services: ServerServices): void {
  const holder = globalThis as GlobalWithServices;
  if (holder[REGISTRY_KEY]) throw new Error("CoinPays services are already registered in this process");
  holder[REGISTRY_KEY] = services;
}

export function unregisterServices(): void {
  delete (globalThis as GlobalWithServices)[REGISTRY_KEY];
}

export function getServices(): ServerServices {
  const services = (globalThis as GlobalWithServices)[REGISTRY_KEY];
  if (!services) {
    throw new Error(
      "CoinPays server services are not running in this process. Start the web app with its own " +
        "server (`pnpm --filter @coinpays/web dev` or `start`, i.e. `node server.ts`), not `next dev`/`next start`.",
    );
  }
  return services;
}
