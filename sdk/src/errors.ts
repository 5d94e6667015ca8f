/** Base class of every error this SDK throws on purpose. */
export class CoinPaysError extends Error {
  override readonly name: string = "CoinPaysError";
}

export type ApiErrorDetail = { field: string; message: string };

/**
 * The gateway answered with an error status. `code` is the stable machine-readable code from the
 * body `{ error: { code, message, details? } }` ("validation_failed", "not_found", "reference_taken",
 * "idempotency_key_reused", …); a body that is not such JSON (a proxy's HTML page) gives "http_error".
 */
export class CoinPaysApiError extends CoinPaysError {
  override readonly name = "CoinPaysApiError";
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[] | undefined;
  /** How many HTTP attempts were made (more than 1 after retries). */
  readonly attempts: number;

  constructor(status: number, code: string, message: string, details?: ApiErrorDetail[], attempts = 1) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.attempts = attempts;
  }
}

/** No HTTP response at all (connection refused/reset, DNS, timeout), after any retries. */
export class CoinPaysNetworkError extends CoinPaysError {
  override readonly name = "CoinPaysNetworkError";
  readonly attempts: number;
  constructor(message: string, options: { cause?: unknown; attempts: number }) {
    super(message, { cause: options.cause });
    this.attempts = options.attempts;
  }
}

export type WebhookVerificationFailure = "malformed_header" | "bad_signature" | "timestamp_out_of_tolerance" | "invalid_payload";

/** A webhook request that must be rejected (answer it with 400). `reason` says why. */
export class WebhookVerificationError extends CoinPaysError {
  override readonly name = "WebhookVerificationError";
  readonly reason: WebhookVerificationFailure;
  constructor(reason: WebhookVerificationFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** An error message from the live-status WebSocket (`{ type: "error", error: { code, message } }`). */
export class CoinPaysWatchError extends CoinPaysError {
  override readonly name = "CoinPaysWatchError";
  readonly code: string;
  /** True when reconnecting cannot help (unknown order, invalid API key): the watch has stopped. */
  readonly fatal: boolean;
  constructor(code: string, message: string, fatal: boolean) {
    super(message);
    this.code = code;
    this.fatal = fatal;
  }
}
