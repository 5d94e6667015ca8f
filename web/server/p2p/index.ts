// Starts the P2P desk inside the web server process: config, mailer, providers, the desk service,
// and the expiry sweeper. The sweeper is an interval worker that is safe in several processes at
// once: each reservation is decided under `FOR UPDATE SKIP LOCKED` and leaves `pending` only once.
import type { Logger } from "pino";
import type { Database } from "../db/index.ts";
import { createAuthService, type AuthService } from "./auth.ts";
import { loadP2PConfig, type P2PConfig } from "./config.ts";
import { createDesk, type Desk } from "./desk.ts";
import { createMailer, type Mailer } from "./mail.ts";
import { createSandboxProvider, type SandboxProvider } from "./providers/sandbox.ts";
import type { PaymentProvider } from "./providers/types.ts";
import { createTBankProvider } from "./providers/tbank.ts";
import { createYooKassaProvider } from "./providers/yookassa.ts";
import type { TxRunner } from "./sql.ts";
import type { RateLimits } from "../security/rate-limit.ts";
import { loadDeskLimits } from "./limits.ts";
import { loadSourcePolicy } from "./providers/notification-sources.ts";

export type P2PServices = {
  config: P2PConfig;
  auth: AuthService;
  desk: Desk;
  sandbox: SandboxProvider;
  mailer: Mailer;
  /** Tells the sandbox where this server listens (for its notifications). */
  setServerUrl(url: string): void;
  stop(): Promise<void>;
};

export async function startP2P(options: {
  database: Pick<Database, "db">;
  logger?: Logger;
  env?: Readonly<Record<string, string | undefined>>;
  config?: P2PConfig;
  sweeper?: boolean;
  now?: () => Date;
  failCreate?: (shopId: string) => boolean;
  /** The server's shared rate limits (sign-in, codes, notifications); absent in unit tests of the desk. */
  rateLimits?: RateLimits;
}): Promise<P2PServices> {
  const config = options.config ?? loadP2PConfig(options.env);
  const db = options.database.db as unknown as TxRunner;
  let serverUrl: string | undefined;
  const mailer = await createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, db });
  const sandbox = createSandboxProvider({
    db,
    secret: config.sandboxSecret,
    publicUrl: config.publicUrl,
    notifyBase: () => config.publicUrl ?? serverUrl,
    now: options.now, failCreate: options.failCreate });
  const yookassa = createYooKassaProvider({
    apiUrl: config.yookassaApiUrl,
    returnUrl: config.publicUrl ? `${config.publicUrl}/p2p/buy` : undefined,
  });
  const providers = new Map<string, PaymentProvider>([
    ...(config.sandboxEnabled ? ([["sandbox", sandbox]] as const) : []),
    ["yookassa", yookassa],
    [
      "tbank",
      createTBankProvider({
        apiUrl: config.tbankApiUrl,
        notificationUrl: config.publicUrl ? `${config.publicUrl}/api/p2p/providers/tbank/notify` : undefined,
      }),
    ],
  ]);
  const env = options.env ?? process.env;
  const notificationSources = loadSourcePolicy(env);
  const desk = createDesk({
    db,
    config,
    providers,
    logger: options.logger,
    now: options.now,
    rateLimits: options.rateLimits,
    notificationSources,
    limits: loadDeskLimits(env),
  });
  await desk.init();
  const auth = createAuthService({ db, config, mailer, now: options.now });

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
  if (config.usingDevKey) {
    options.logger?.warn(
      "ENCRYPTION_KEYS is not set: provider credentials are sealed with the public DEV-ONLY key. Never run a real desk like this.",
    );
  }
  options.logger?.info({ mailer: mailer.kind, notificationSources: notificationSources.describe() }, "p2p desk started");

  return {
    config,
    auth,
    desk,
    sandbox,
    mailer,
    setServerUrl(url) {
      serverUrl = url;
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
