// The gateway's one HTTP edge. A route declares who may call it (`auth`, `scopes`), what it reads
// (`body`, `query`, `idempotent`) and how often (`rateLimit`); the router enforces every declaration
// before the handler runs, so a handler cannot forget a check and receives only what was validated:
//
//   1. match path and method (404 / 405);
//   2. cross-site writes: a state-changing request that carries an Origin must come from the site's
//      configured origin, and one authenticated by the session cookie must prove it with Origin or
//      Sec-Fetch-Site (browsers send both; a page on another site cannot forge them);
//   3. rate limit by client address (429 + Retry-After);
//   4. authentication: the session cookie or the API key with one of the route's scopes (401 / 403);
//   5. rate limit by API key;
//   6. query, body (JSON only, 64 KiB) and Idempotency-Key, each validated (400 / 413 / 415).
//
// The same table drives the OpenAPI document (openapi.ts), so what is documented is what is enforced.
import type { Logger } from "pino";
import { z } from "zod";
import type { Site } from "../../site.ts";
import { crossSiteVerdict } from "../../security/cross-site.ts";
import { clientAddressOf, RateLimited, type RateLimitRule, type RateLimits } from "../../security/rate-limit.ts";
import type { ApiKeyPrincipal, ApiKeyScope } from "../api-keys/service.ts";
import type { SessionUser } from "../auth/service.ts";
import { sha256Hex } from "../crypto.ts";
import { ApiError, errorResponse, json, notFound, unauthorized, validationError } from "./errors.ts";
import { canonicalJson, cookieFrom, parseQuery, readJson } from "./request.ts";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";
export type AuthKind = "none" | "session" | "apiKey";

export type ResponseDoc = { description: string; schema?: z.ZodType; contentType?: string };

/** What a route declares; the router enforces it and openapi.ts documents it. */
export type RouteDoc = {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  auth: AuthKind;
  /** apiKey routes: the key scopes allowed to call it (default: `full` only). */
  scopes?: readonly ApiKeyScope[];
  body?: z.ZodType;
  /** An object schema, or one piped into cross-field checks (OpenAPI lists the object's fields). */
  query?: z.ZodType;
  /** Accepts an Idempotency-Key header; the handler gets the key and the body's canonical hash. */
  idempotent?: boolean;
  /** Counted per client address (before authentication) or per API key (after it). */
  rateLimit?: { rule: RateLimitRule; by: "client" | "apiKey" };
  responses: Record<number, ResponseDoc>;
};

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What the handler of a route declared with `auth: A`, `body: B` and `query: Q` receives. */
export type RouteContext<A extends AuthKind = AuthKind, B = unknown, Q = unknown> = {
  request: Request;
  url: URL;
  params: Record<string, string>;
  /** The site's configured public origin, for the links a handler builds (never the Host header). */
  origin: string;
  body: Output<B>;
  query: Output<Q>;
  /** Idempotent routes: the client's key (if any) and the hash of what it sent. */
  idempotency: { key: string | undefined; requestHash: string };
} & (A extends "session" ? { user: SessionUser } : A extends "apiKey" ? { apiKey: ApiKeyPrincipal } : unknown);

export type Route = RouteDoc & { handler: (ctx: RouteContext) => Promise<Response> };

/** Declares a route; the type parameters keep the handler's context typed by the declaration. */
export function route<A extends AuthKind, B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  definition: Omit<RouteDoc, "auth" | "body" | "query"> & { auth: A; body?: B; query?: Q; handler: (ctx: RouteContext<A, B, Q>) => Promise<Response> },
): Route {
  return definition as unknown as Route;
}

export type RouterDeps = {
  site: Pick<Site, "origin" | "isOwnOrigin">;
  logger: Logger;
  rateLimits?: RateLimits;
  sessionCookie: string;
  authenticateSession(token: string | undefined): Promise<SessionUser | undefined>;
  /** Throws 401 for a missing, malformed, unknown or revoked key. */
  authenticateApiKey(authorization: string | null): Promise<ApiKeyPrincipal>;
};

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function idempotencyKeyOf(request: Request): string | undefined {
  const key = request.headers.get("idempotency-key");
  if (key === null) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError(400, "validation_failed", "Idempotency-Key must be 1 to 255 visible ASCII characters", [{ field: "Idempotency-Key", message: "invalid" }]);
  }
  return key;
}

/** The hash an Idempotency-Key is bound to: method, path and the body as parsed (layout-independent). */
export function requestHash(method: string, path: string, body: unknown): string {
  return sha256Hex(`${method} ${path}\n${canonicalJson(body)}`);
}

export function createRouter(routes: readonly Route[], deps: RouterDeps) {
  const compiled = routes.map((entry) => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${entry.path.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      })}/?$`,
    );
    return { route: entry, pattern, names };
  });

  /** Refuses a state-changing request another site's page made the browser send (security/cross-site.ts). */
  function checkCrossSite(request: Request, route: Route): void {
    const cookieAuthenticated = route.auth === "session" && cookieFrom(request.headers.get("cookie"), deps.sessionCookie) !== undefined;
    const verdict = crossSiteVerdict(request, deps.site, cookieAuthenticated);
    if (!verdict.ok) throw new ApiError(403, "cross_site_request", verdict.message);
  }

  async function limit(entry: Route, by: "client" | "apiKey", key: string): Promise<void> {
    if (!entry.rateLimit || entry.rateLimit.by !== by || !deps.rateLimits) return;
    try {
      await deps.rateLimits.consume(entry.rateLimit.rule, key);
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      throw new ApiError(429, "rate_limited", error.message, undefined, { "retry-after": String(error.retryAfterSeconds) });
    }
  }

  async function dispatch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const matches = compiled.map((entry) => ({ entry, match: entry.pattern.exec(url.pathname) })).filter((candidate) => candidate.match);
    if (matches.length === 0) throw notFound("Route");
    const found = matches.find((candidate) => candidate.entry.route.method === request.method);
    if (!found) {
      const allowed = [...new Set(matches.map((candidate) => candidate.entry.route.method))].join(", ");
      throw new ApiError(405, "method_not_allowed", `Use ${allowed} on this path`, undefined, { allow: allowed });
    }
    const entry = found.entry.route;
    const params: Record<string, string> = {};
    found.entry.names.forEach((name, index) => {
      let value = found.match![index + 1]!;
      try {
        value = decodeURIComponent(value);
      } catch {
        // keep it encoded; it will not match anything
      }
      params[name] = value;
    });

    checkCrossSite(request, entry);
    await limit(entry, "client", clientAddressOf(request));

    const principal: { user?: SessionUser; apiKey?: ApiKeyPrincipal } = {};
    if (entry.auth === "session") {
      const user = await deps.authenticateSession(cookieFrom(request.headers.get("cookie"), deps.sessionCookie));
      if (!user) throw unauthorized("Sign in first");
      principal.user = user;
    } else if (entry.auth === "apiKey") {
      const apiKey = await deps.authenticateApiKey(request.headers.get("authorization"));
      const allowed = entry.scopes ?? ["full"];
      if (!allowed.includes(apiKey.scope)) {
        throw new ApiError(403, "insufficient_scope", `This API key has the ${apiKey.scope} scope; ${entry.operationId} needs ${allowed.join(" or ")}`);
      }
      principal.apiKey = apiKey;
      await limit(entry, "apiKey", apiKey.keyId);
    }

    const query = entry.query ? parseQuery(url, entry.query) : undefined;
    let body: unknown;
    let raw: unknown = {};
    if (entry.body) {
      raw = await readJson(request, { requireContentType: true });
      const parsed = entry.body.safeParse(raw);
      if (!parsed.success) throw validationError(parsed.error, "body");
      body = parsed.data;
    } else if (!SAFE_METHODS.has(request.method)) {
      // A route that reads no body accepts none: a stray body is a client bug worth telling.
      raw = await readJson(request, { requireContentType: false });
      if (canonicalJson(raw) !== "{}") throw new ApiError(400, "validation_failed", `${entry.operationId} takes no request body`, [{ field: "(body)", message: "must be empty" }]);
    }
    const idempotency = entry.idempotent ? { key: idempotencyKeyOf(request), requestHash: requestHash(request.method, url.pathname, raw) } : { key: undefined, requestHash: "" };

    const ctx = { request, url, params, origin: deps.site.origin(), body, query, idempotency, ...principal };
    return entry.handler(ctx as RouteContext);
  }

  return {
    routes,
    async handle(request: Request): Promise<Response> {
      try {
        return await dispatch(request);
      } catch (error) {
        if (error instanceof ApiError) {
          if (error.status >= 500) deps.logger.warn({ err: error.cause ?? error, code: error.code, path: new URL(request.url).pathname }, "gateway dependency failed");
          return errorResponse(error);
        }
        deps.logger.error({ err: error, path: request.url }, "gateway request failed");
        return json({ error: { code: "internal_error", message: "Internal server error" } }, 500);
      }
    },
  };
}
