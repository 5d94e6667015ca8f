// A real JSON-RPC proxy in front of a chain node, which a test can make misbehave the ways RPC
// providers do: answer 500 for some methods (for the next N calls, or until told to recover), hold
// calls without answering (a timeout; released by closing the connection), or report a head a few
// blocks behind the real one (a lagging node behind a load balancer). Everything else is forwarded
// byte for byte to the node and counted.
import http from "node:http";
import type { AddressInfo } from "node:net";

export const BLOCK_LOOKUPS = ["eth_getBlockByNumber", "eth_getBlockByHash"] as const;

type Call = { id?: unknown; method?: string; params?: unknown[] };
/** Which calls a fault applies to: method names, or every call. */
export type MethodFilter = readonly string[] | "all";

export type FlakyRpc = {
  url: string;
  /** The next `count` calls matching `methods` answer HTTP 500. */
  failNext(methods: MethodFilter, count: number): void;
  /** Calls matching `methods` fail (`500`, or `hang`: never answered) until recover(). */
  fail(methods: MethodFilter, mode?: "500" | "hang"): void;
  /** eth_blockNumber answers `blocks` below the node's real head until recover(). */
  lagHead(blocks: number): void;
  /** Ends every fault; held calls are cut off (their client sees a dropped connection). */
  recover(): void;
  /** Failures still owed by failNext. */
  pendingFailures(): number;
  /** Calls answered from the node, per method (failed ones are not counted). */
  served(method: string): number;
  /** Calls this proxy made fail, per method. */
  failed(method: string): number;
  close(): Promise<void>;
};

export async function startFlakyRpc(target: string): Promise<FlakyRpc> {
  let burst: { methods: MethodFilter; left: number } | undefined;
  let outage: { methods: MethodFilter; mode: "500" | "hang" } | undefined;
  let lag = 0;
  const held = new Set<http.ServerResponse>();
  const served = new Map<string, number>();
  const failed = new Map<string, number>();
  const bump = (counts: Map<string, number>, method: string) => counts.set(method, (counts.get(method) ?? 0) + 1);
  const matches = (filter: MethodFilter, method: string) => filter === "all" || filter.includes(method);

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let calls: Call[];
        try {
          const parsed = JSON.parse(body) as Call | Call[];
          calls = Array.isArray(parsed) ? parsed : [parsed];
        } catch {
          response.statusCode = 400;
          response.end();
          return;
        }
        const methods = calls.map((call) => String(call.method));
        if (outage && methods.some((method) => matches(outage!.methods, method))) {
          for (const method of methods) bump(failed, method);
          if (outage.mode === "hang") {
            held.add(response);
            response.on("close", () => held.delete(response));
            return;
          }
          response.statusCode = 500;
          response.end("upstream unavailable");
          return;
        }
        if (burst && burst.left > 0 && methods.some((method) => matches(burst!.methods, method))) {
          burst.left--;
          for (const method of methods) bump(failed, method);
          response.statusCode = 500;
          response.end("upstream unavailable");
          return;
        }
        try {
          const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
          let text = await upstream.text();
          if (lag > 0 && methods.includes("eth_blockNumber")) text = lowerHeads(text, calls, lag);
          for (const method of methods) bump(served, method);
          response.statusCode = upstream.status;
          response.setHeader("content-type", "application/json");
          response.end(text);
        } catch {
          response.statusCode = 502;
          response.end("node unreachable");
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const cutHeld = () => {
    for (const response of held) response.destroy();
    held.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    failNext(methods, count) {
      burst = { methods, left: count };
    },
    fail(methods, mode = "500") {
      outage = { methods, mode };
    },
    lagHead(blocks) {
      lag = blocks;
    },
    recover() {
      burst = undefined;
      outage = undefined;
      lag = 0;
      cutHeld();
    },
    pendingFailures: () => burst?.left ?? 0,
    served: (method) => served.get(method) ?? 0,
    failed: (method) => failed.get(method) ?? 0,
    close() {
      cutHeld();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** eth_blockNumber results `lag` blocks lower (never below 0), in a single or batch answer. */
function lowerHeads(text: string, calls: Call[], lag: number): string {
  const heads = new Set(calls.filter((call) => call.method === "eth_blockNumber").map((call) => JSON.stringify(call.id)));
  const lower = (answer: { id?: unknown; result?: unknown }) => {
    if (!heads.has(JSON.stringify(answer.id)) || typeof answer.result !== "string") return answer;
    const head = BigInt(answer.result);
    return { ...answer, result: `0x${(head > BigInt(lag) ? head - BigInt(lag) : 0n).toString(16)}` };
  };
  const parsed = JSON.parse(text) as { id?: unknown; result?: unknown } | { id?: unknown; result?: unknown }[];
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(lower) : lower(parsed));
}
