// Starts the P2P desk inside the web server process: config, mailer, providers, the desk service,
// operators' second factor, rate limits, and the expiry sweeper. Links and notification URLs are
// built from the site's configured origin (server/site.ts), never from a request. The sweeper is an interval worker that is safe in several processes at
// once: each reservation is decided under `FOR UPDATE SKIP LOCKED` and leaves `pending` only once.
import type { Logger } from "pino";
import type { Database } from "../db/index.ts";
import { createAuthService, type AuthService } from "./auth.ts";
import { loadP2PConfig, type P2PConfig } from "./config.ts";
import { createDesk, type Desk } from "./desk.ts";
import { createDeskLimits, limiterFactoryOver } from "./limits.ts";
import { createMailer, type Mailer } from "./mail.ts";
import { createOperatorService, type OperatorService } from "./operator.ts";
import { createSandboxProvider, type SandboxProvider } from "./providers/sandbox.ts";
import type { PaymentProvider } from "./providers/types.ts";
import { createTBankProvider } from "./providers/tbank.ts";
import { createYooKassaProvider } from "./providers/yookassa.ts";
import type { TxRunner } from "./sql.ts";
import { createRateLimits, type RateLimits } from "../security/rate-limit.ts";
import type { Site } from "../site.ts";
import { loadDeskCaps } from "./caps.ts";
import { loadSourcePolicy } from "./providers/notification-sources.ts";

export type P2PServices = {
  config: P2PConfig;
  auth: AuthService;
  desk: Desk;
  operators: OperatorService;
  sandbox: SandboxProvider;
  mailer: Mailer;
  /** The site's origin, or undefined before a development server (no PUBLIC_URL) listens. */
  origin(): string | undefined;
  stop(): Promise<void>;
};

export async function startP2P(options: {
  database: Pick<Database, "db">;
  logger?: Logger;
  env?: Readonly<Record<string, string | undefined>>;
  config?: P2PConfig;
  /** Where links point; without it (tests driving the desk in-process) links are relative. */
  site?: Pick<Site, "origin">;
  /**
   * The server's shared rate limits (sign-in, sign-up, codes, operators' codes); unit tests of the
   * desk get the same PostgreSQL-backed store over their own database.
   */
  rateLimits?: RateLimits;
  sweeper?: boolean;
  now?: () => Date;
  failCreate?: (shopId: string) => boolean;
}): Promise<P2PServices> {
  const config = options.config ?? loadP2PConfig(options.env);
  const db = options.database.db as unknown as TxRunner;
  // A development server without PUBLIC_URL learns its origin only once it listens (after this
  // start): until then there is none, and links are relative. Production always has PUBLIC_URL.
  const origin = (): string | undefined => {
    try {
      return options.site?.origin();
    } catch {
      return undefined;
    }
  };
  const startOrigin = origin();
  const mailer = await createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, db });
  const sandbox = createSandboxProvider({
    db,
    secret: config.sandboxSecret,
    publicUrl: startOrigin,
    notifyBase: origin,
    now: options.now, failCreate: options.failCreate });
  const yookassa = createYooKassaProvider({
    apiUrl: config.yookassaApiUrl,
    returnUrl: startOrigin ? `${startOrigin}/p2p/buy` : undefined,
  });
  const providers = new Map<string, PaymentProvider>([
    ...(config.sandboxEnabled ? ([["sandbox", sandbox]] as const) : []),
    ["yookassa", yookassa],
    [
      "tbank",
      createTBankProvider({
        apiUrl: config.tbankApiUrl,
        notificationUrl: startOrigin ? `${startOrigin}/api/p2p/providers/tbank/notify` : undefined,
      }),
    ],
  ]);
  const limiterFactory = limiterFactoryOver(options.rateLimits ?? createRateLimits({ db: options.database.db, logger: options.logger }));
  const limits = createDeskLimits(limiterFactory, { signupsPerClientPerHour: config.signupsPerClientPerHour });
  const env = options.env ?? process.env;
  const notificationSources = loadSourcePolicy(env);
  const caps = loadDeskCaps(env);
  const desk = createDesk({
    db,
    config,
    providers,
    logger: options.logger,
    now: options.now,
    notificationSources,
    caps,
    // Each notification costs a status call to the seller's provider: per invoice, a few a minute.
    notificationsPerInvoice: limiterFactory("p2p_notification_invoice", {
      points: caps.notificationsPerInvoicePerMinute,
      durationSeconds: 60,
      what: "notifications for this invoice",
    }),
  });
  await desk.init();
  const auth = createAuthService({ db, config, mailer, limits, now: options.now });
  const operators = createOperatorService({ db, config, limits, logger: options.logger, now: options.now });

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  if (options.sweeper !== false) {
    timer = setInterval(() => {
      if (running) return;
      running = desk
        .sweepExpired()
        .then((decided) => decided > 0 && options.logger?.info({ decided }, "p2p expiry sweep"))
        .catch((error: unknown) => options.logger?.error({ err: error }, "p2p expiry sweep failed"))
        // Collections ride the same tick: a receivable is repaid once its user has a balance again.
        .then(() => desk.collectReceivables())
        .catch((error: unknown) => options.logger?.error({ err: error }, "p2p receivable collection failed"))
        .finally(() => (running = undefined));
    }, config.sweepIntervalMs);
    timer.unref();
  }
  options.logger?.info(
    { mailer: mailer.kind, sandbox: config.sandboxEnabled, devTools: config.devTools, notificationSources: notificationSources.describe() },
    "p2p desk started",
  );

  return {
    config,
    auth,
    desk,
    operators,
    sandbox,
    mailer,
    origin,
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
