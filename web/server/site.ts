// The site's public origin(s): where payers, merchants and players reach this server. It comes from
// configuration (PUBLIC_URL), never from a request's Host or X-Forwarded-* headers, which any client
// sets as it likes: Sign-In with Ethereum checks a message's domain and URI against it, cookie-
// authenticated writes check Origin against it, and every link the server hands out (checkout, QR,
// refund claims, e-mails, provider notification URLs) is built from the first one.
export type Site = {
  /** The canonical origin (no trailing slash), e.g. "https://pay.example.com". */
  origin(): string;
  /** Every origin the site is served under; the first is canonical. */
  origins(): readonly string[];
  /** Whether `origin` (an Origin header's value, or a URL) is one of the site's origins. */
  isOwnOrigin(origin: string | null | undefined): boolean;
};

/** "https://Pay.Example.com:443/" → "https://pay.example.com"; undefined when it is not an http(s) origin. */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return url.origin;
}

/**
 * A site over configured origins, or (development, nothing configured) over the address the server
 * listens on, bound once it listens: `http://127.0.0.1:3000` is also reached as `http://localhost:3000`.
 */
export function createSite(configured: readonly string[] | undefined): Site & { bindListenUrl(url: string): void } {
  let origins: readonly string[] | undefined = configured?.length ? configured : undefined;
  const current = () => {
    if (!origins) throw new Error("The site's origin is not known before the server listens");
    return origins;
  };
  return {
    origin: () => current()[0]!,
    origins: current,
    isOwnOrigin(value) {
      if (!value || !origins) return false;
      const normalized = normalizeOrigin(value);
      return normalized !== undefined && origins.includes(normalized);
    },
    bindListenUrl(url) {
      if (configured?.length) return;
      const listen = new URL(url);
      const loopback = [`${listen.protocol}//127.0.0.1:${listen.port}`, `${listen.protocol}//localhost:${listen.port}`];
      // Listening on every interface (0.0.0.0, ::): this machine reaches it on loopback; any other
      // name it is reached by must be configured (PUBLIC_URL), or a SIWE message could name anything.
      const unspecified = listen.hostname === "0.0.0.0" || listen.hostname === "[::]";
      const isLoopback = unspecified || ["127.0.0.1", "[::1]", "localhost"].includes(listen.hostname);
      origins = [...new Set([...(unspecified ? [] : [listen.origin]), ...(isLoopback ? loopback : [])])];
    },
  };
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** True for origins only this machine can reach, where plain http is no risk. */
export function isLoopbackOrigin(origin: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(origin).hostname);
}
