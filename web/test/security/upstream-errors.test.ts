// Attack: provoking a dependency failure to read what it says. An RPC node's error text names its URL
// (API keys often live in the path), internal hosts and versions. The services wrap such failures in
// an ApiError whose `cause` holds the upstream error: the router logs the cause and answers the
// client with our own words only.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { ApiError } from "../../server/gateway/http/errors.ts";
import { createRouter, route } from "../../server/gateway/http/router.ts";

const RPC_URL = "https://eth-mainnet.example.com/v2/rpc-api-key-7f3a9c";

describe("attack: reading upstream error text", () => {
  it("a 5xx names no upstream detail; the server's log has it", async () => {
    const logged: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void logged.push(line) });
    const router = createRouter(
      [
        route({
          method: "GET", path: "/probe", operationId: "probe", tag: "test", auth: "none", summary: "fails upstream", responses: {},
          handler: async () => {
            const upstream = new Error(`HTTP request failed. URL: ${RPC_URL} Details: connect ECONNREFUSED 10.0.0.7:8545`);
            throw new ApiError(503, "chain_unavailable", "The chain's RPC did not answer; try again shortly", undefined, {}, upstream);
          },
        }),
      ],
      { site: { origin: () => "https://pay.example.com", isOwnOrigin: () => true }, logger, sessionCookie: "s", authenticateSession: async () => undefined, authenticateApiKey: async () => { throw new Error("unused"); } },
    );
    const response = await router.handle(new Request("https://pay.example.com/probe"));
    assert.equal(response.status, 503);
    const text = await response.text();
    assert.ok(!text.includes("rpc-api-key") && !text.includes("10.0.0.7"), text);
    assert.ok(logged.some((line) => line.includes("rpc-api-key-7f3a9c")), "the cause is in the log");
  });
});
