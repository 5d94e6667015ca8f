// Errors of the gateway's HTTP API. Every failure a client can cause is an ApiError with a stable
// `code` and the right 4xx; the JSON body is always `{ error: { code, message, details? } }`.
// Anything else reaching `errorResponse` is a bug and becomes a logged 500.
import type { z } from "zod";

export type ErrorDetail = { field: string; message: string };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;

  /** `cause`: what failed upstream (an RPC node, the indexer), for the server's log only: its text can
   * name internal hosts or an RPC URL's API key, so it never reaches the client. */
  constructor(status: number, code: string, message: string, details?: ErrorDetail[], headers: Record<string, string> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) => new ApiError(400, "invalid_request", message, details);
export const unauthorized = (message = "Authentication required") =>
  new ApiError(401, "unauthorized", message);
export const forbidden = (message = "Your role does not allow this") => new ApiError(403, "forbidden", message);
export const notFound = (what = "Resource") => new ApiError(404, "not_found", `${what} not found`);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
export const unprocessable = (code: string, message: string, details?: ErrorDetail[]) => new ApiError(422, code, message, details);

/** Field-by-field details of a zod failure, for a 400 a developer can act on. */
export function validationError(error: z.ZodError, where: "body" | "query" | "header" = "body"): ApiError {
  const details = error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join(".") : `(${where})`,
    message: issue.message,
  }));
  const summary = details.slice(0, 3).map((detail) => `${detail.field}: ${detail.message}`).join("; ");
  return new ApiError(400, "validation_failed", `Invalid ${where}: ${summary}`, details);
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorBody(error: ApiError) {
  return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
}

export function errorResponse(error: ApiError): Response {
  return json(errorBody(error), error.status, error.headers);
}
