// Cross-site request forgery, decided the same way for the gateway's router and the P2P desk: a
// state-changing request that names an Origin must name one of the site's configured origins, and a
// request that a cookie authenticates must show the browser's proof that the site's own pages sent it
// (Origin, or Sec-Fetch-Site: same-origin). Browsers send both on every cross-site write and a page on
// another site cannot forge them; a client without either is not a browser, so it carries no
// ambient cookie it was tricked into sending — but a cookie-authenticated write without the proof is
// refused all the same, since cookies are a browser's credential.
import type { Site } from "../site.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type CrossSiteVerdict = { ok: true } | { ok: false; message: string };

export function crossSiteVerdict(request: Request, site: Pick<Site, "origin" | "isOwnOrigin">, cookieAuthenticated: boolean): CrossSiteVerdict {
  if (SAFE_METHODS.has(request.method)) return { ok: true };
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== "null" && !site.isOwnOrigin(origin)) {
    return { ok: false, message: `Requests from ${origin} are not accepted; use ${site.origin()}` };
  }
  if (!cookieAuthenticated) return { ok: true };
  const sameOrigin = (origin !== null && site.isOwnOrigin(origin)) || request.headers.get("sec-fetch-site") === "same-origin";
  return sameOrigin ? { ok: true } : { ok: false, message: "A signed-in write must come from this site's own pages (Origin or Sec-Fetch-Site header)" };
}
