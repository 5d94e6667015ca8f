// Stand-ins for the chain RPC and the Ponder indexer, so server tests do not depend on whatever
// happens to listen on 8545 / 42069 on the machine.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { TEST_INDEXER_API_SECRET } from "../../../indexer/test/api-secret.ts";

export type FakeDependency = { url: string; close(): Promise<void> };

/** Answers eth_chainId and eth_blockNumber like a JSON-RPC node. */
export function startFakeChain(chainId: number, blockNumber: bigint): Promise<FakeDependency> {
  return listen((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const answer = (call: { id: number; method: string }) => {
        const results: Record<string, string> = {
          eth_chainId: `0x${chainId.toString(16)}`,
          eth_blockNumber: `0x${blockNumber.toString(16)}`,
        };
        const result = results[call.method];
        return result === undefined
          ? { jsonrpc: "2.0", id: call.id, error: { code: -32601, message: `method ${call.method} not found` } }
          : { jsonrpc: "2.0", id: call.id, result };
      };
      const parsed = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
    });
  });
}

export type FakeIndexer = FakeDependency & {
  /** The analytics calls it received, with the Authorization header each carried. */
  analyticsCalls: Array<{ path: string; authorization: string | undefined }>;
};

/**
 * Answers GET /ready with the given status, as Ponder does (200 once caught up), with no credential; and, as
 * indexer/src/api does, GET /analytics/* only with `Authorization: Bearer <secret>` (401 otherwise): an
 * empty answer of the analytics shape. The secret defaults to the one TEST_PRODUCTION_ENV gives the server.
 */
export function startFakeIndexer(readyStatus = 200, options: { secret?: string } = {}): Promise<FakeIndexer> {
  const secret = options.secret ?? TEST_INDEXER_API_SECRET;
  const analyticsCalls: FakeIndexer["analyticsCalls"] = [];
  return listen((request, response) => {
    const path = request.url ?? "/";
    if (path === "/ready") {
      response.statusCode = readyStatus;
    } else if (path.startsWith("/analytics/")) {
      analyticsCalls.push({ path, authorization: request.headers.authorization });
      if (request.headers.authorization !== `Bearer ${secret}`) {
        response.statusCode = 401;
      } else {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ query: {}, data: [], totals: {} }));
        return;
      }
    } else {
      response.statusCode = 404;
    }
    response.end();
  }).then((dependency) => ({ ...dependency, analyticsCalls }));
}

function listen(handler: http.RequestListener): Promise<FakeDependency> {
  const server = http.createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
