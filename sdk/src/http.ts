import { CoinPaysApiError, CoinPaysError, CoinPaysNetworkError, type ApiErrorDetail } from "./errors.ts";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type RetryOptions = {
  /** Retries after the first attempt (default 2). 0 disables retrying. */
  retries?: number;
  /** Backoff before the first retry; doubles each time, with full jitter (default 250 ms). */
  minDelayMs?: number;
  /** Upper bound of one backoff (default 5000 ms). */
  maxDelayMs?: number;
};

export type HttpOptions = {
  baseUrl: string;
  apiKey?: string;
  fetch?: FetchLike;
  retry?: RetryOptions;
  /** Per-attempt timeout (default 30 s); a timeout counts as a network error. */
  timeoutMs?: number;
  userAgent?: string;
};

export type RequestSpec = {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Sent as Idempotency-Key; a POST is retried only when it has one. */
  idempotencyKey?: string;
  signal?: AbortSignal;
};

/** A random Idempotency-Key (UUID v4 from Web Crypto). */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return `sdk_${c.randomUUID()}`;
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return `sdk_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Exponential backoff with full jitter: uniform in [0, min(max, min·2^attempt)]. */
export function backoffDelay(attempt: number, minDelayMs: number, maxDelayMs: number): number {
  return Math.random() * Math.min(maxDelayMs, minDelayMs * 2 ** attempt);
}

/** Statuses worth another attempt of an idempotent request: the server failed, not the request. */
function retryableResponse(status: number, code: string): boolean {
  // 409 idempotency_conflict: the same key is still being processed (typically the attempt whose
  // response was lost); the server asks to retry, and the retry will replay the stored response.
  return status >= 500 || (status === 409 && code === "idempotency_conflict");
}

export function createHttp(options: HttpOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(baseUrl)) throw new CoinPaysError(`baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const retries = Math.max(0, options.retry?.retries ?? 2);
  const minDelayMs = options.retry?.minDelayMs ?? 250;
  const maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 30_000;

  function urlOf(spec: RequestSpec): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(spec.query ?? {})) if (value !== undefined) params.set(name, value);
    const query = params.toString();
    return `${baseUrl}${spec.path}${query ? `?${query}` : ""}`;
  }

  async function request<T>(spec: RequestSpec): Promise<T> {
    const url = urlOf(spec);
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (options.userAgent) headers["user-agent"] = options.userAgent;
    if (spec.idempotencyKey !== undefined) headers["idempotency-key"] = spec.idempotencyKey;
    let body: string | undefined;
    if (spec.method === "POST") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(spec.body ?? {});
    }
    // GETs are safe; a POST is safe to repeat only under the same Idempotency-Key.
    const idempotent = spec.method === "GET" || spec.idempotencyKey !== undefined;
    const maxAttempts = idempotent ? retries + 1 : 1;

    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await doFetch(url, { method: spec.method, headers, body, signal });
      } catch (error) {
        // The caller's own abort is final; anything else is a network failure (or our timeout).
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (attempt < maxAttempts) {
          await sleep(backoffDelay(attempt - 1, minDelayMs, maxDelayMs), spec.signal);
          continue;
        }
        const reason = timeout.aborted ? `timed out after ${timeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
        throw new CoinPaysNetworkError(`${spec.method} ${spec.path} failed: ${reason}`, { cause: error, attempts: attempt });
      }
      const text = await response.text().catch(() => "");
      if (response.ok) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new CoinPaysApiError(response.status, "invalid_response", `${spec.method} ${spec.path}: the response is not JSON`, undefined, attempt);
        }
      }
      const error = apiErrorOf(response.status, response.statusText, text, attempt);
      if (attempt < maxAttempts && retryableResponse(error.status, error.code)) {
        await sleep(backoffDelay(attempt - 1, minDelayMs, maxDelayMs), spec.signal);
        continue;
      }
      throw error;
    }
  }

  return { request, baseUrl };
}

function apiErrorOf(status: number, statusText: string, text: string, attempts: number): CoinPaysApiError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const error = parsed?.error;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      return new CoinPaysApiError(status, error.code, error.message, Array.isArray(error.details) ? (error.details as ApiErrorDetail[]) : undefined, attempts);
    }
  } catch {
    // not JSON: a proxy or load balancer answered
  }
  return new CoinPaysApiError(status, "http_error", `HTTP ${status}${statusText ? ` ${statusText}` : ""}`, undefined, attempts);
}
