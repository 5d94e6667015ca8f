// Development conveniences that would lose money or secrets on the internet. Development and test
// servers have them all; a production server (NODE_ENV=production) starts only with the ones named
// in UNSAFE_DEV_FEATURES, so a deployment that forgets a setting refuses to start instead of running
// on a public dev key. Staging and the production-build tests name what they need, explicitly.
export const UNSAFE_DEV_FEATURES = {
  /** A development chain (31337, 1337): Hardhat's public keys may sign, one confirmation settles. */
  "dev-chain": "a development chain (chain id 31337 or 1337) with Hardhat's public keys",
  /** The P2P sandbox payment provider: anyone can "pay" its invoices with one click. */
  "p2p-sandbox": "the P2P sandbox payment provider (invoices paid by a click, no money moves)",
  /** The P2P development tools: simulated game-room deposits credit unbacked balances. */
  "p2p-dev-tools": "the P2P development tools (simulated deposits, the mail outbox page)",
  /** Mail kept in the database instead of sent over SMTP (verification codes readable by the dev tools). */
  "mail-outbox": "mail kept in the database outbox instead of sent over SMTP",
  /** Webhook receivers on this machine or its private network: a merchant could reach internal services. */
  "local-webhooks": "webhook receivers over plain http and on loopback/private networks",
} as const;

export type UnsafeDevFeature = keyof typeof UNSAFE_DEV_FEATURES;

export const UNSAFE_DEV_FEATURE_NAMES = Object.keys(UNSAFE_DEV_FEATURES) as UnsafeDevFeature[];

/** Parses UNSAFE_DEV_FEATURES ("dev-chain,p2p-sandbox"); an unknown name is an error, not ignored. */
export function parseUnsafeDevFeatures(value: string | undefined): { features: Set<UnsafeDevFeature>; unknown: string[] } {
  const names = (value ?? "").split(",").map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(name in UNSAFE_DEV_FEATURES));
  return { features: new Set(names.filter((name): name is UnsafeDevFeature => name in UNSAFE_DEV_FEATURES)), unknown };
}

/**
 * What the process may use: outside production everything (development keeps working with nothing
 * configured); in production only what UNSAFE_DEV_FEATURES names.
 */
export function allowedUnsafeFeatures(production: boolean, named: Set<UnsafeDevFeature>): ReadonlySet<UnsafeDevFeature> {
  return production ? named : new Set(UNSAFE_DEV_FEATURE_NAMES);
}
