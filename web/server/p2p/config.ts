// P2P desk configuration from the environment, validated once (zod), with working local defaults.
import { z } from "zod";
import { DEV_KEY_ID, parseKeyring, type Keyring } from "../secrets/keyring.ts";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  ENCRYPTION_KEYS: z.string().optional(),
  P2P_ENCRYPTION_KEYS: z.string().optional(),
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
  P2P_SANDBOX_SECRET: z.string().min(16).default("coinpays-sandbox-dev-only-secret"),
  P2P_SWEEP_INTERVAL_MS: int(100, 3_600_000).default(5_000),
  P2P_OPERATOR_EMAILS: z.string().default(""),
  /** Public base URL of this server (links in e-mails, sandbox payment page, notify URL). */
  P2P_PUBLIC_URL: z.url().optional(),
  /** "0" removes the sandbox provider (and its public pay endpoint): do that on a real desk. */
  P2P_SANDBOX: z.enum(["0", "1"]).default("1"),
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
  operatorEmails: Set<string>;
  publicUrl: string | undefined;
  sandboxEnabled: boolean;
  yookassaApiUrl: string;
  tbankApiUrl: string;
  currency: string;
  fiatCurrency: string;
  /** true when ENCRYPTION_KEYS is unset: secrets are sealed with the public DEV-ONLY key. */
  usingDevKey: boolean;
};

export function loadP2PConfig(env: Readonly<Record<string, string | undefined>> = process.env): P2PConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in schema.shape && v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new Error(`Invalid P2P configuration:\n${parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  const e = parsed.data;
  const keyring = parseKeyring(e.ENCRYPTION_KEYS ?? e.P2P_ENCRYPTION_KEYS);
  return {
    keyring,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.P2P_MAIL_FROM,
    depositFeeBps: e.P2P_DEPOSIT_FEE_BPS,
    tradeFeeBps: e.P2P_TRADE_FEE_BPS,
    reservationTtlMs: e.P2P_RESERVATION_TTL_SECONDS * 1000,
    cooldownMs: e.P2P_COOLDOWN_SECONDS * 1000,
    defaultRate: BigInt(e.P2P_DEFAULT_RATE),
    sandboxSecret: e.P2P_SANDBOX_SECRET,
    sweepIntervalMs: e.P2P_SWEEP_INTERVAL_MS,
    operatorEmails: new Set(e.P2P_OPERATOR_EMAILS.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean)),
    publicUrl: e.P2P_PUBLIC_URL?.replace(/\/+$/, ""),
    sandboxEnabled: e.P2P_SANDBOX === "1",
    yookassaApiUrl: e.P2P_YOOKASSA_API_URL,
    tbankApiUrl: e.P2P_TBANK_API_URL,
    currency: "VUSD",
    fiatCurrency: "RUB",
    usingDevKey: keyring.current === DEV_KEY_ID,
  };
}
