// Reading requests at the edge: a bounded JSON body, query strings and headers, each validated
// with zod. Nothing past these functions sees unvalidated input.
import type { z } from "zod";
import { ApiError, badRequest, validationError } from "./errors.ts";

/** Bodies are small JSON documents; anything larger is refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The body as JSON (an empty body reads as `{}`). `requireContentType`: a non-empty body must say it
 * is JSON — a body without a Content-Type is what a cross-site form or `fetch(…, { mode: "no-cors" })`
 * sends, so it is refused rather than guessed.
 */
export async function readJson(request: Request, options: { requireContentType?: boolean } = {}): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "Send the body as application/json");
  }
  const text = await readText(request);
  if (text.trim() === "") return {};
  if (!type && options.requireContentType) throw new ApiError(415, "unsupported_media_type", "Send the body as application/json (Content-Type header)");
  // Postgres text and jsonb cannot hold U+0000; refuse it here rather than fail in the database.
  if (/\\u0000/i.test(text)) throw badRequest("The body contains a NUL character (\\u0000), which is not allowed");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest("The body is not valid JSON");
  }
}

async function readText(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new ApiError(413, "payload_too_large", `The body may be at most ${MAX_BODY_BYTES} bytes`);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new ApiError(413, "payload_too_large", `The body may be at most ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw badRequest("The body is not valid UTF-8");
  }
}

/** Query parameters as a plain object; a repeated parameter is an error rather than a silent pick. */
export function parseQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key.includes("\0") || value.includes("\0")) throw badRequest("Query parameters may not contain NUL characters");
    if (key in query) throw badRequest(`Query parameter "${key}" is given more than once`, [{ field: key, message: "repeated" }]);
    query[key] = value;
  }
  const result = schema.safeParse(query);
  if (!result.success) throw validationError(result.error, "query");
  return result.data;
}

/** One cookie's value from a Cookie header (the API's requests and the WebSocket upgrade alike). */
export function cookieFrom(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** Canonical JSON (sorted keys) so the same body always hashes the same, whatever its layout. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
