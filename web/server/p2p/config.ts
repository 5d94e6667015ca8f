// P2P desk configuration from the environment, validated once (zod), with working local defaults.
//
// The server reads it with the rest of its configuration (server/config.ts), so a production start
// with a development default lists the P2P problems next to the others and exits 78. What a
// production server refuses unless UNSAFE_DEV_FEATURES names it (server/unsafe-features.ts):
// the development tools (`p2p-dev-tools`), the sandbox provider (`p2p-sandbox`) and mail kept in
// the database outbox instead of SMTP (`mail-outbox`). The public sandbox secret is never used in
// production, and the keyring is the server's (ENCRYPTION_KEYS, refused in production when unset).
import { createHmac } from "node:crypto";
import { z } from "zod";
import { parseKeyring, type Keyring } from "../secrets/keyring.ts";
import { allowedUnsafeFeatures, parseUnsafeDevFeatures, type UnsafeDevFeature } from "../unsafe-features.ts";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The development sandbox secret: public (it is in this file), so production never signs with it. */
export const DEV_SANDBOX_SECRET = "coinpays-sandbox-dev-only-secret";

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  P2P_MAIL_FROM: z.string().default("CoinPays P2P <no-reply@coinpays.local>"),
  /** Platform commission on game-room deposits, in basis points. */
  P2P_DEPOSIT_FEE_BPS: int(0, 5000).default(200),
  /** Platform commission on each match (taken from what the buyer receives), in basis points. */
  P2P_TRADE_FEE_BPS: int(0, 5000).default(0),
  P2P_RESERVATION_TTL_SECONDS: int(5, 86_400).default(900),
  /** After an abandoned (expired) reservation a buyer waits this long before the next one. */
  P2P_COOLDOWN_SECONDS: int(0, 86_400).default(120),
  /** Default price: kopecks per 1.00 virtual dollar, when a request sets no rate. */
  P2P_DEFAULT_RATE: int(1, 100_000_000).default(9_500),
  P2P_SANDBOX_SECRET: z.string().min(16).optional(),
  P2P_SWEEP_INTERVAL_MS: int(100, 3_600_000).default(5_000),
  P2P_OPERATOR_EMAILS: z.string().default(""),
  /** Replaced by the site's origin (PUBLIC_URL); refused so a stale value cannot mislead. */
  P2P_PUBLIC_URL: z.string().optional(),
  /** The sandbox provider (and its public pay endpoint). Default: on where `p2p-sandbox` is allowed. */
  P2P_SANDBOX: z.enum(["0", "1"]).optional(),
  /** The deposit simulator and the mail outbox page. Default: on where `p2p-dev-tools` is allowed. */
  P2P_DEV_TOOLS: z.enum(["0", "1"]).optional(),
  /** Accounts one client (network address) may create per hour. */
  P2P_SIGNUPS_PER_CLIENT_PER_HOUR: int(1, 1_000_000).default(20),
  P2P_YOOKASSA_API_URL: z.url().default("https://api.yookassa.ru/v3"),
  P2P_TBANK_API_URL: z.url().default("https://securepay.tinkoff.ru/v2"),
});

export type P2PConfig = {
  keyring: Keyring;
  smtpUrl: string | undefined;
  mailFrom: string;
  depositFeeBps: number;
  tradeFeeBps: number;
  reservationTtlMs: number;
  cooldownMs: number;
  defaultRate: bigint;
  sandboxSecret: string;
  sweepIntervalMs: number;
  /**
   * Who may act as operator. Read on every request (auth.ts): an address removed from the list stops
   * being an operator at once, and only a verified e-mail on it counts.
   */
  operatorEmails: ReadonlySet<string>;
  sandboxEnabled: boolean;
  /** The deposit simulator and the outbox page; off (404) unless allowed. */
  devTools: boolean;
  signupsPerClientPerHour: number;
  yookassaApiUrl: string;
  tbankApiUrl: string;
  currency: string;
  fiatCurrency: string;
};

export type P2PConfigIssue = { field: string; message: string };

/** What the server's own configuration decided: production or not, the allowed dev features, the keyring. */
export type P2PConfigContext = {
  production: boolean;
  unsafeFeatures: ReadonlySet<UnsafeDevFeature>;
  keyring: Keyring;
};

/** Context for a desk started on its own (tests, benchmarks): from NODE_ENV, with the DEV-ONLY keyring. */
function standaloneContext(env: Readonly<Record<string, string | undefined>>): P2PConfigContext {
  const production = env.NODE_ENV === "production";
  return {
    production,
    unsafeFeatures: allowedUnsafeFeatures(production, parseUnsafeDevFeatures(env.UNSAFE_DEV_FEATURES).features),
    keyring: parseKeyring(undefined),
  };
}

/** Parses the P2P settings; every problem is an issue (the caller lists them all and refuses to start). */
export function readP2PConfig(
  env: Readonly<Record<string, string | undefined>>,
  context: P2PConfigContext = standaloneContext(env),
): { config: P2PConfig | undefined; issues: P2PConfigIssue[] } {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in schema.shape && v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    return { config: undefined, issues: parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(environment)", message: i.message })) };
  }
  const e = parsed.data;
  const issues: P2PConfigIssue[] = [];
  const allowed = (feature: UnsafeDevFeature) => context.unsafeFeatures.has(feature);

  if (e.P2P_PUBLIC_URL !== undefined) {
    issues.push({ field: "P2P_PUBLIC_URL", message: "is replaced by PUBLIC_URL (the site's origin builds every P2P link and notification URL); remove it" });
  }
  // A feature is on when asked for ("1") or, unset, when this process may use it; asking for one a
  // production server is not allowed to use is an error, not silently ignored.
  const feature = (value: "0" | "1" | undefined, name: UnsafeDevFeature, field: string): boolean => {
    if (value === "1" && !allowed(name)) {
      issues.push({ field, message: `=1 turns on a development feature in production; name "${name}" in UNSAFE_DEV_FEATURES to allow it` });
    }
    return value === undefined ? allowed(name) : value === "1";
  };
  const sandboxEnabled = feature(e.P2P_SANDBOX, "p2p-sandbox", "P2P_SANDBOX");
  const devTools = feature(e.P2P_DEV_TOOLS, "p2p-dev-tools", "P2P_DEV_TOOLS");

  if (context.production && !e.SMTP_URL && !allowed("mail-outbox")) {
    issues.push({ field: "SMTP_URL", message: 'is required in production: without it verification codes stay in the database outbox (name "mail-outbox" in UNSAFE_DEV_FEATURES to allow that)' });
  }

  let sandboxSecret = e.P2P_SANDBOX_SECRET ?? DEV_SANDBOX_SECRET;
  if (context.production) {
    if (e.P2P_SANDBOX_SECRET === DEV_SANDBOX_SECRET) {
      issues.push({ field: "P2P_SANDBOX_SECRET", message: "is the public development secret; anyone could sign sandbox notifications with it" });
    } else if (!e.P2P_SANDBOX_SECRET) {
      // Not the public default: a secret of this deployment, the same in all its processes.
      const key = context.keyring.keys.get(context.keyring.current)!;
      sandboxSecret = createHmac("sha256", key).update("coinpays p2p sandbox notification secret").digest("hex");
    }
  }

  const operatorEmails = new Set<string>();
  for (const entry of e.P2P_OPERATOR_EMAILS.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (!z.email().safeParse(entry).success) issues.push({ field: "P2P_OPERATOR_EMAILS", message: `${JSON.stringify(entry)} is not an e-mail address` });
    else operatorEmails.add(entry);
  }

  if (issues.length > 0) return { config: undefined, issues };
  return {
    issues,
    config: {
      keyring: context.keyring,
      smtpUrl: e.SMTP_URL,
      mailFrom: e.P2P_MAIL_FROM,
      depositFeeBps: e.P2P_DEPOSIT_FEE_BPS,
      tradeFeeBps: e.P2P_TRADE_FEE_BPS,
      reservationTtlMs: e.P2P_RESERVATION_TTL_SECONDS * 1000,
      cooldownMs: e.P2P_COOLDOWN_SECONDS * 1000,
      defaultRate: BigInt(e.P2P_DEFAULT_RATE),
      sandboxSecret,
      sweepIntervalMs: e.P2P_SWEEP_INTERVAL_MS,
      operatorEmails,
      sandboxEnabled,
      devTools,
      signupsPerClientPerHour: e.P2P_SIGNUPS_PER_CLIENT_PER_HOUR,
      yookassaApiUrl: e.P2P_YOOKASSA_API_URL,
      tbankApiUrl: e.P2P_TBANK_API_URL,
      currency: "VUSD",
      fiatCurrency: "RUB",
    },
  };
}

/** readP2PConfig for a desk started on its own (tests, benchmarks); throws listing every issue. */
export function loadP2PConfig(env: Readonly<Record<string, string | undefined>> = process.env, context?: P2PConfigContext): P2PConfig {
  const { config, issues } = readP2PConfig(env, context);
  if (!config) throw new Error(`Invalid P2P configuration:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join("\n")}`);
  return config;
}
