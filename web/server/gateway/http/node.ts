// Serves the framework-free gateway router (Fetch API Request → Response) straight from Node's http
// server. /api/v1 is the hot path of integrators: going through Next.js route dispatch cost more CPU
// per request than the order logic itself (see docs/benchmarks.md), so the custom server answers it
// before Next sees the request. The body is read here, bounded, so the router never waits on a stream.
import type http from "node:http";
import { ApiError, errorResponse } from "./errors.ts";
import { MAX_BODY_BYTES } from "./request.ts";

export type FetchHandler = (request: Request) => Promise<Response>;

/** The client went away before sending its whole body: there is nobody to answer. */
class ClientGone extends Error {}

/** Reads the body up to MAX_BODY_BYTES; undefined when it is larger (the caller answers 413). */
function readBody(request: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on("error", () => reject(new ClientGone()));
    request.on("close", () => {
      if (!request.complete) reject(new ClientGone());
    });
  });
}

async function writeResponse(response: http.ServerResponse, result: Response, withBody: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  result.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // Headers.forEach joins repeated Set-Cookie headers with ", ", which breaks cookie dates.
  const cookies = result.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = withBody && result.body ? Buffer.from(await result.arrayBuffer()) : undefined;
  if (body) headers["content-length"] = String(body.byteLength);
  response.writeHead(result.status, headers);
  response.end(body);
}

/** Answers one Node request with `handle`; HEAD is served as GET without the body, as Next did. */
export async function serveWithFetchHandler(handle: FetchHandler, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const method = request.method === "HEAD" ? "GET" : (request.method ?? "GET");
  const declaredLength = Number(request.headers["content-length"] ?? "0");
  let body: Buffer | undefined;
  try {
    body = method === "GET" ? Buffer.alloc(0) : declaredLength > MAX_BODY_BYTES ? undefined : await readBody(request);
  } catch (error) {
    if (error instanceof ClientGone) return;
    throw error;
  }
  if (body === undefined) {
    // The rest of an oversized body is not read: the connection closes after this answer.
    const refusal = errorResponse(new ApiError(413, "payload_too_large", `The body may be at most ${MAX_BODY_BYTES} bytes`, undefined, { connection: "close" }));
    await writeResponse(response, refusal, true);
    return;
  }
  const headers = new Headers();
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const host = request.headers.host ?? "localhost";
  let url: URL;
  try {
    url = new URL(request.url ?? "/", `http://${host}`);
  } catch {
    await writeResponse(response, errorResponse(new ApiError(400, "invalid_request", "The Host header or request target is malformed")), true);
    return;
  }
  const fetchRequest = new Request(url, { method, headers, ...(body.byteLength > 0 ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
  await writeResponse(response, await handle(fetchRequest), request.method !== "HEAD");
}
