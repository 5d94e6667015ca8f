// Domain errors of the P2P desk: a stable machine code, a message for people, and the HTTP status
// the route handlers answer with. Anything that is not a P2PError is a bug (500).
export type P2PErrorCode =
  | "invalid_input"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "idempotency_conflict"
  | "insufficient_funds"
  | "no_liquidity"
  | "active_reservation"
  | "cooldown"
  | "already_resolved"
  | "pending_expired"
  | "email_taken"
  | "invalid_credentials"
  | "invalid_code"
  | "provider_error"
  | "invalid_signature"
  | "rate_limited";

const STATUS: Record<P2PErrorCode, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  idempotency_conflict: 409,
  insufficient_funds: 409,
  no_liquidity: 409,
  active_reservation: 409,
  cooldown: 429,
  already_resolved: 409,
  pending_expired: 409,
  email_taken: 409,
  invalid_credentials: 401,
  invalid_code: 400,
  provider_error: 502,
  invalid_signature: 401,
  rate_limited: 429,
};

export class P2PError extends Error {
  readonly code: P2PErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: P2PErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "P2PError";
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}

export function isP2PError(error: unknown): error is P2PError {
  return error instanceof Error && error.name === "P2PError" && "code" in error;
}
