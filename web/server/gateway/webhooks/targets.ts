// Where a webhook may be sent. A merchant names the receiver's URL, and the server itself makes the
// request: without a filter that is a server-side request forgery, letting any merchant reach the
// database port, the cloud metadata service (169.254.169.254) or anything else on the server's
// private network, and read the outcome back from the delivery log.
//
// In production (unless UNSAFE_DEV_FEATURES names "local-webhooks") a receiver must be https and its
// host must resolve only to public unicast addresses. The host is checked when an endpoint is created
// or changed and again at every delivery attempt, and the attempt connects to the very address that
// was checked: the check is the connection's own DNS lookup (see `guardedLookup`), so a name that
// answers a public address to the check and 127.0.0.1 to the connection (DNS rebinding) cannot slip
// through. Development keeps receivers on localhost and private networks, over plain http.
import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";
import type { UnsafeDevFeature } from "../../unsafe-features.ts";

export type ResolvedAddress = { address: string; family: 4 | 6 };
/** Every address a host name resolves to (A and AAAA); injectable so tests can control the answers. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

export type TargetPolicy = {
  /** Receivers must use https (production). */
  requireHttps: boolean;
  /** Only public unicast addresses may be reached (production). */
  publicOnly: boolean;
  resolve: Resolver;
};

/** Development allows everything; production only public https receivers, unless "local-webhooks" is named. */
export function targetPolicy(unsafeFeatures: ReadonlySet<UnsafeDevFeature>, resolve: Resolver = systemResolver): TargetPolicy {
  const local = unsafeFeatures.has("local-webhooks");
  return { requireHttps: !local, publicOnly: !local, resolve };
}

/** What development and the tests of local receivers use: any http(s) receiver, no address filter. */
export const LOCAL_TARGETS: TargetPolicy = { requireHttps: false, publicOnly: false, resolve: systemResolver };

// Only 2000::/3 is allocated as global unicast; everything outside it (IPv4-compatible ::a.b.c.d,
// NAT64 64:ff9b::/96, discard-only 100::/64, ULA, link-local, multicast, segment routing…) is refused.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3") as [ipaddr.IPv6, number];

/**
 * The special-purpose range an address is in ("loopback", "private", "linkLocal", "uniqueLocal",
 * "carrierGradeNat", "reserved", "6to4", …) or "unicast" for a public address; "invalid" when it
 * does not parse. Ranges are ipaddr.js's tables of the IANA special-purpose registries; an
 * IPv4-mapped IPv6 address (::ffff:127.0.0.1) is classified as the IPv4 address it carries.
 */
export function classifyAddress(address: string): string {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  // The zone index of a scoped address (fe80::1%eth0) names an interface: never public.
  if (bare.includes("%")) return "scoped";
  if (!ipaddr.isValid(bare)) return "invalid";
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (parsed.kind() === "ipv4") {
    // ipaddr.isValid also accepts "127.1" and "0x7f.0.0.1"; those are still the addresses they denote.
    return (parsed as ipaddr.IPv4).range();
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range !== "unicast") return range;
  return v6.match(GLOBAL_UNICAST_V6) ? "unicast" : "reserved";
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === "unicast";
}

/** Why a target is refused: `insecure_url` (http in production), `blocked_address`, `dns_failure`. */
export type TargetRefusal = "insecure_url" | "blocked_address" | "dns_failure";

/** Thrown by the connection's lookup when a resolved address is not allowed. */
export class BlockedAddressError extends Error {
  readonly code = "EWEBHOOKBLOCKED";
  constructor() {
    super("webhook receiver resolves to an address that is not allowed");
  }
}

/** The URL's host without IPv6 brackets ("[::1]" → "::1"); `new URL` already normalised "127.1" → "127.0.0.1". */
function hostOf(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/** The checks that need no connection: the scheme, and the host when it is an IP literal. */
export function refusalBeforeConnect(url: URL, policy: TargetPolicy): TargetRefusal | undefined {
  if (url.protocol !== "https:" && (policy.requireHttps || url.protocol !== "http:")) return "insecure_url";
  const host = hostOf(url);
  // An IP literal is connected to without a lookup, so the lookup guard never sees it: check it here.
  if (policy.publicOnly && net.isIP(host) !== 0 && !isPublicAddress(host)) return "blocked_address";
  return undefined;
}

/**
 * The check when an endpoint is created or changed: the scheme, and every address the host resolves
 * to now. The attempt checks again (the answer may change); this one gives the merchant a clear
 * refusal early. Nothing is connected to, so the answer says nothing about what listens where.
 */
export async function checkTarget(rawUrl: string, policy: TargetPolicy): Promise<TargetRefusal | undefined> {
  const url = new URL(rawUrl);
  const early = refusalBeforeConnect(url, policy);
  if (early || !policy.publicOnly) return early;
  const host = hostOf(url);
  if (net.isIP(host) !== 0) return undefined;
  let addresses: ResolvedAddress[];
  try {
    addresses = await policy.resolve(host);
  } catch {
    return "dns_failure";
  }
  if (addresses.length === 0) return "dns_failure";
  return addresses.every((entry) => isPublicAddress(entry.address)) ? undefined : "blocked_address";
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect (undici's `connect` options pass it through): resolves with the
 * policy's resolver and fails the connection if ANY address is not allowed (a name that mixes a
 * public and a private answer is refused, not tried address by address). The socket connects to an
 * address this function returned, so what was checked is what is connected to.
 */
export function guardedLookup(policy: TargetPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    policy.resolve(hostname).then(
      (resolved) => {
        const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family;
        const addresses = family === 4 || family === 6 ? resolved.filter((entry) => entry.family === family) : resolved;
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`no address for ${hostname}`);
          error.code = "ENOTFOUND";
          return callback(error, "");
        }
        if (policy.publicOnly && !addresses.every((entry) => isPublicAddress(entry.address))) return callback(new BlockedAddressError(), "");
        if (options.all) return callback(null, addresses.map(({ address, family }) => ({ address, family })));
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}
