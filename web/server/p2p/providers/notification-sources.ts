// Where a provider notification may come from. YooKassa does not sign its notifications, so the
// only thing that tells a real one from a forgery before the status call is the sender's address:
// YooKassa publishes the ranges it sends from (https://yookassa.ru/developers/using-api/webhooks,
// "IP addresses"), and a production desk refuses anything else with 403 and stores nothing.
//
// The address is the request's client address as the server's HTTP edge decided it (server/app.ts,
// CLIENT_ADDRESS_HEADER in server/security/rate-limit.ts): the TCP peer, or X-Forwarded-For only
// behind a configured TRUSTED_PROXIES peer; a client's own value of that header is replaced.
//
// Configuration:
// - P2P_YOOKASSA_NOTIFY_SOURCES: comma-separated addresses / CIDR ranges; `published` stands for
//   YooKassa's published list (the default). Tests add 127.0.0.1: "published,127.0.0.1".
// Outside production with P2P_YOOKASSA_NOTIFY_SOURCES unset any source is accepted (a developer's
// machine or tunnel); a configured list is enforced everywhere.
import net from "node:net";

/** YooKassa's published notification sources (its documentation's list, as its SDKs carry it in December 2026). */
export const YOOKASSA_PUBLISHED_SOURCES: readonly string[] = [
  "185.71.76.0/27",
  "185.71.77.0/27",
  "77.75.153.0/25",
  "77.75.156.11",
  "77.75.156.35",
  "77.75.154.128/25",
  "2a02:5180::/32",
];

export type SourcePolicy = {
  /** Whether `providerId`'s notifications may come from `address` (the request's client address). */
  allows(providerId: string, address: string | undefined): boolean;
  /** The configured lists, for the start-up log. */
  describe(): Record<string, string[] | "any">;
};

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is 1.2.3.4. */
export function normalizeAddress(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  let address = value.trim();
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  return net.isIP(address) ? address.toLowerCase() : undefined;
}

/** Parses "a.b.c.d, a.b.c.d/nn, x::/nn" into a BlockList; a bad entry is a configuration error. */
export function parseAddressList(value: string, field: string, expand: Record<string, readonly string[]> = {}): { list: net.BlockList; entries: string[] } {
  const list = new net.BlockList();
  const entries: string[] = [];
  for (const raw of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    for (const entry of expand[raw] ?? [raw]) {
      const [addressPart, prefixPart, extra] = entry.split("/");
      const address = normalizeAddress(addressPart);
      const family = address ? (net.isIPv4(address) ? "ipv4" : "ipv6") : undefined;
      const prefix = prefixPart === undefined ? undefined : Number(prefixPart);
      const maxPrefix = family === "ipv4" ? 32 : 128;
      if (!address || !family || extra !== undefined || (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix))) {
        throw new Error(`${field}: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
      }
      if (prefix === undefined) list.addAddress(address, family);
      else list.addSubnet(address, prefix, family);
      entries.push(entry);
    }
  }
  return { list, entries };
}

function contains(list: net.BlockList, address: string): boolean {
  return list.check(address, net.isIPv4(address) ? "ipv4" : "ipv6");
}

export function loadSourcePolicy(env: Readonly<Record<string, string | undefined>> = process.env): SourcePolicy {
  const production = env.NODE_ENV === "production";
  const configured = env.P2P_YOOKASSA_NOTIFY_SOURCES?.trim();
  const yookassa =
    configured || production ? parseAddressList(configured || "published", "P2P_YOOKASSA_NOTIFY_SOURCES", { published: YOOKASSA_PUBLISHED_SOURCES }) : undefined;
  // Providers whose notifications are unsigned: only their published sources may send them. Signed
  // ones (the sandbox's HMAC, T-Bank's Token) are authenticated by the signature wherever they come from.
  const restricted = new Map<string, net.BlockList>(yookassa ? [["yookassa", yookassa.list]] : []);
  return {
    allows(providerId, address) {
      const list = restricted.get(providerId);
      if (!list) return true;
      const normalized = normalizeAddress(address);
      return normalized !== undefined && contains(list, normalized);
    },
    describe() {
      return { yookassa: yookassa?.entries ?? "any" };
    },
  };
}
