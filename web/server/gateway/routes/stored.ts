import { json } from "../http/errors.ts";
import type { StoredResponse } from "../orders/service.ts";

/** A stored (Idempotency-Key) response; a replay says so in Idempotent-Replayed. */
export function stored(result: StoredResponse): Response {
  return json(result.body, result.status, result.replayed ? { "idempotent-replayed": "true" } : {});
}
