// Helpers for the attack suite: requests whose headers fetch() will not forge (Host), and counts of
// what an attack must not have written.
import http from "node:http";
import type { Gateway, HttpResult } from "../gateway/support.ts";

/** One HTTP request with exactly these headers (fetch() rewrites Host; an attacker's client does not). */
export function rawCall<T = any>(base: string, method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpResult<T>> {
  const url = new URL(path, base);
  const payload = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers: { ...(payload !== undefined ? { "content-length": String(Buffer.byteLength(payload)) } : {}), ...options.headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const one of Array.isArray(value) ? value : [value ?? ""]) headers.append(name, one);
          }
          let body: unknown = text;
          if ((response.headers["content-type"] ?? "").includes("json")) body = JSON.parse(text);
          resolve({ status: response.statusCode ?? 0, headers, body: body as T });
        });
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

/** Row counts of tables, to show that a refused request wrote nothing. */
export async function counts(gateway: Gateway, tables: readonly string[]): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(tables.map(async (table) => [table, await gateway.count(table)] as const)));
}
