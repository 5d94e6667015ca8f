// Stand-ins for the chain RPC and the Ponder indexer, so server tests do not depend on whatever
// happens to listen on 8545 / 42069 on the machine.
import http from "node:http";
import type { AddressInfo } from "node:net";

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

/** Answers GET /ready with the given status, as Ponder does (200 once caught up). */
export function startFakeIndexer(readyStatus = 200): Promise<FakeDependency> {
  return listen((request, response) => {
    response.statusCode = request.url === "/ready" ? readyStatus : 404;
    response.end();
  });
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
