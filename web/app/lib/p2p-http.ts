// Thin HTTP layer for the P2P desk's route handlers: session cookie → user, zod-validated JSON
// bodies, domain errors → `{ error: { code, message } }` with their 4xx (a 429 with Retry-After),
// anything else → a logged 500. Every answer carries its request id (x-request-id), which the
// operators' audit log records. Amounts travel as decimal strings ("12.50"); bigint values are
// serialised as decimal strings.
import { randomUUID } from "node:crypto";
import { cookies } from "next/headers";
import { z } from "zod";
import type { DeskUser } from "../../server/p2p/auth.ts";
import { isP2PError } from "../../server/p2p/errors.ts";
import { parseMinor } from "../../server/p2p/formats.ts";
import { ProviderError, providerFailureMessage } from "../../server/p2p/providers/types.ts";
import type { P2PServices } from "../../server/p2p/index.ts";
import type { OperatorAct } from "../../server/p2p/operator.ts";
import { crossSiteVerdict } from "../../server/security/cross-site.ts";
import { clientAddressOf } from "../../server/security/rate-limit.ts";
import { serverServices } from "./server-services.ts";

export const SESSION_COOKIE = "p2p_session";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

export function errorResponse(status: number, code: string, message: string, details?: Record<string, unknown>): Response {
  return json({ error: { code, message, ...(details ? { details } : {}) } }, status);
}

/** A decimal amount string with at most two places, as minor units (bigint). */
export const amountString = z
  .string()
  .max(40)
  .regex(/^\d+(\.\d{1,2})?$/, "must be a decimal amount with at most 2 decimal places, e.g. \"12.50\"")
  .transform((v) => parseMinor(v));

export const idempotencyKey = z.string().min(1).max(200);

/** The operator's authenticator code on a money action's body; its absence is the desk's 403, not a 400. */
export const otpField = z.string().regex(/^\d{6}$/, "a 6-digit code from the authenticator app").optional();

type Context = {
  p2p: P2PServices;
  request: Request;
  user: DeskUser | undefined;
  /** The client's network address as the server's edge saw it (never a header the client chose). */
  client: string;
  requestId: string;
  /** Runs an operator money action with the operator's authenticator code (server/p2p/operator.ts). */
  asOperator<T>(otp: string | undefined, work: (act: OperatorAct) => Promise<T>): Promise<T>;
};

export async function withP2P(
  request: Request,
  options: { auth?: "user" | "operator" | "none"; devTool?: boolean },
  work: (context: Context) => Promise<Response>,
): Promise<Response> {
  const requestId = randomUUID();
  const response = await handle(request, options, requestId, work);
  response.headers.set("x-request-id", requestId);
  return response;
}

async function handle(
  request: Request,
  options: { auth?: "user" | "operator" | "none"; devTool?: boolean },
  requestId: string,
  work: (context: Context) => Promise<Response>,
): Promise<Response> {
  let services;
  try {
    services = await serverServices();
  } catch {
    return errorResponse(503, "unavailable", "P2P services are not running in this process");
  }
  // Development tools do not exist unless this process may use them: the same 404 as any unknown path.
  if (options.devTool && !services.p2p.config.devTools) return errorResponse(404, "not_found", "not found");
  try {
    // CSRF: state-changing requests must be JSON (a cross-site form cannot send it without a CORS
    // preflight); the session cookie is SameSite=Lax on top.
    if (request.method !== "GET" && request.method !== "HEAD") {
      const type = request.headers.get("content-type") ?? "";
      if (!type.startsWith("application/json")) return errorResponse(415, "unsupported_media_type", "send application/json");
    }
    const token = (await cookies()).get(SESSION_COOKIE)?.value;
    // Cross-site writes: the same rule as the gateway's router (server/security/cross-site.ts).
    const crossSite = crossSiteVerdict(request, services.site, token !== undefined);
    if (!crossSite.ok) return errorResponse(403, "cross_site_request", crossSite.message);
    // The role comes from configuration on every request (auth.ts): verified e-mail, on the list.
    const user = await services.p2p.auth.authenticate(token);
    if (options.auth !== "none") {
      if (!user) return errorResponse(401, "unauthenticated", "sign in first");
      if (options.auth === "operator" && user.role !== "operator") return errorResponse(403, "forbidden", "operators only");
    }
    const p2p = services.p2p;
    return await work({
      p2p,
      request,
      user,
      client: clientAddressOf(request),
      requestId,
      asOperator: (otp, act) => p2p.operators.act(user, otp, requestId, act),
    });
  } catch (error) {
    if (isP2PError(error)) {
      const response = errorResponse(error.status, error.code, error.message, error.details);
      const retryAfter = error.details?.retryAfterSeconds;
      if (error.status === 429 && typeof retryAfter === "number") response.headers.set("retry-after", String(retryAfter));
      return response;
    }
    if (error instanceof BodyError) return errorResponse(error.status, error.code, error.message);
    if (error instanceof ProviderError) {
      // The provider's own words (an upstream error body) stay in the log; people get ours.
      services.logger.warn({ err: error, path: new URL(request.url).pathname }, "p2p provider call failed");
      return errorResponse(502, "provider_error", providerFailureMessage(error));
    }
    services.logger.error({ err: error, path: new URL(request.url).pathname }, "p2p request failed");
    return errorResponse(500, "internal_error", "Internal server error");
  }
}

/** A refused body: 400 (malformed) or 413 (too large), answered as `{ error: { code, message } }`. */
class BodyError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(message: string, status = 400, code = "invalid_input") {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** P2P bodies are small JSON documents; a route that takes more (the statement import) says so. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads the body as UTF-8 text, at most `maxBytes`: a larger declared Content-Length is refused
 * before reading, and a body that streams past the bound is cancelled there (413), so a large body
 * is never buffered whole.
 */
export async function readText(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () => new BodyError(`the body may be at most ${maxBytes} bytes`, 413, "payload_too_large");
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof BodyError) throw error;
    throw new BodyError("the body could not be read");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BodyError("the body is not valid UTF-8");
  }
  // PostgreSQL text cannot hold U+0000: refuse it here rather than fail in the database.
  if (text.includes("\0") || /\\u0000/i.test(text)) throw new BodyError("the body contains a NUL character (\\u0000), which is not allowed");
  return text;
}

/** Reads and validates a JSON body; a malformed body is a 400 and an oversized one a 413, never a 500. */
export async function readBody<S extends z.ZodType>(request: Request, schema: S, options: { maxBytes?: number } = {}): Promise<z.infer<S>> {
  const text = await readText(request, options.maxBytes);
  let raw: unknown;
  try {
    raw = text.trim() ? JSON.parse(text) : {};
  } catch {
    throw new BodyError("body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new BodyError(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

export function sessionCookie(p2p: P2PServices, token: string, expiresAt: Date): string {
  // Secure when the site is served over https (PUBLIC_URL); plain http on a developer machine.
  const secure = (p2p.origin() ?? "").startsWith("https:") ? "; Secure" : "";
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Expires=${expiresAt.toUTCString()}${secure}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}

/** The Idempotency-Key header, or one from the body; required for creating orders and requests. */
export function idempotencyKeyOf(request: Request, fromBody?: string): string {
  const key = request.headers.get("idempotency-key") ?? fromBody;
  const parsed = idempotencyKey.safeParse(key);
  if (!parsed.success) throw new BodyError("Idempotency-Key header (1-200 characters) is required");
  return parsed.data;
}
