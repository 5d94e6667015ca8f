// Response headers every page and API answer carries, set once at the server's edge (server/app.ts).
// The pages ask wallets to sign and send money: no other site may frame them (clickjacking a "Pay" or
// "Sign in" button), and a reflected value must not be sniffed into a script.
//
// Not set: a script-src policy. Next.js bootstraps pages with inline scripts, which a strict policy
// only allows with per-request nonces; what the framing and base/form rules below prevent does not
// depend on it (see docs/SECURITY.md).
export function securityHeaders(options: { https: boolean }): Record<string, string> {
  return {
    "content-security-policy": "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin-allow-popups",
    ...(options.https ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
  };
}
