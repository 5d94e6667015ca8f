// The webhook target policy at the unit level: which addresses count as public, which URLs are
// refused before any connection, and the connection's own lookup refusing a name whose answers are
// not all public (with a resolver the test controls).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deliveryErrorClass } from "../../server/gateway/webhooks/delivery.ts";
import { BlockedAddressError, checkTarget, classifyAddress, guardedLookup, targetPolicy, type ResolvedAddress, type TargetPolicy } from "../../server/gateway/webhooks/targets.ts";

const BLOCKED: [address: string, why: string][] = [
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["10.0.0.5", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.1.1", "private"],
  ["169.254.169.254", "linkLocal"], // cloud metadata
  ["100.64.0.1", "carrierGradeNat"],
  ["100.127.255.255", "carrierGradeNat"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["240.0.0.1", "reserved"],
  ["192.0.0.8", "reserved"], // IETF protocol assignments
  ["192.0.2.1", "reserved"], // TEST-NET-1
  ["198.51.100.7", "reserved"], // TEST-NET-2
  ["203.0.113.9", "reserved"], // TEST-NET-3
  ["198.18.0.1", "reserved"], // benchmarking
  ["198.19.255.255", "reserved"],
  ["192.88.99.1", "reserved"], // 6to4 relay anycast
  ["::1", "loopback"],
  ["::", "unspecified"],
  ["fe80::1", "linkLocal"],
  ["fc00::1", "uniqueLocal"],
  ["fd12:3456:789a::1", "uniqueLocal"],
  ["ff02::1", "multicast"],
  ["fec0::1", "deprecatedSiteLocal"],
  ["::ffff:127.0.0.1", "loopback"], // IPv4-mapped: classified as the IPv4 address
  ["::ffff:169.254.169.254", "linkLocal"],
  ["::ffff:10.1.2.3", "private"],
  ["::ffff:7f00:1", "loopback"], // the same mapped address in hex
  ["::127.0.0.1", "loopback"], // IPv4-compatible in dotted form: ipaddr.js reads it as the mapped address
  ["::7f00:1", "reserved"], // the same, in hex: outside 2000::/3
  ["64:ff9b::7f00:1", "rfc6052"], // NAT64 to 127.0.0.1
  ["64:ff9b::a9fe:a9fe", "rfc6052"], // NAT64 to the metadata address
  ["2002:7f00:1::1", "6to4"],
  ["2001::1", "teredo"],
  ["2001:db8::1", "reserved"], // documentation
  ["2001:2::1", "benchmarking"],
  ["100::1", "discard"],
  ["fe80::1%eth0", "scoped"],
  ["not an address", "invalid"],
];

const PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "::ffff:8.8.8.8"];

describe("webhook target classification", () => {
  for (const [address, why] of BLOCKED) {
    it(`${address} is not public (${why})`, () => assert.equal(classifyAddress(address), why));
  }
  for (const address of PUBLIC) {
    it(`${address} is public`, () => assert.equal(classifyAddress(address), "unicast"));
  }
});

/** A resolver that answers from a table, and counts the questions. */
function tableResolver(table: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    asked.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolve, asked };
}

const strict = (resolve: TargetPolicy["resolve"]): TargetPolicy => targetPolicy(new Set(), resolve);

describe("webhook target policy", () => {
  const { resolve } = tableResolver({
    "hooks.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "internal.example": ["10.0.0.7"],
    "mixed.example": ["93.184.216.34", "127.0.0.1"],
    "mapped.example": ["::ffff:169.254.169.254"],
    localhost: ["127.0.0.1", "::1"],
  });

  it("production refuses http, non-public literals and names that resolve to any non-public address", async () => {
    const policy = strict(resolve);
    const cases: [string, string | undefined][] = [
      ["https://hooks.example/coinpays", undefined],
      ["http://hooks.example/coinpays", "insecure_url"],
      ["https://127.0.0.1/", "blocked_address"],
      ["https://127.1/", "blocked_address"], // the URL parser normalises it to 127.0.0.1
      ["https://2130706433/", "blocked_address"], // and this one
      ["https://0x7f.0.0.1/", "blocked_address"],
      ["https://[::1]/", "blocked_address"],
      ["https://[::ffff:127.0.0.1]/", "blocked_address"],
      ["https://169.254.169.254/latest/meta-data/", "blocked_address"],
      ["https://internal.example/", "blocked_address"],
      ["https://mixed.example/", "blocked_address"],
      ["https://mapped.example/", "blocked_address"],
      ["https://localhost/", "blocked_address"],
      ["https://nowhere.example/", "dns_failure"],
      ["https://8.8.8.8/", undefined],
    ];
    for (const [url, expected] of cases) assert.equal(await checkTarget(url, policy), expected, url);
  });

  it("development (and local-webhooks) accepts local http receivers without resolving them", async () => {
    const { resolve: counting, asked } = tableResolver({});
    const policy = targetPolicy(new Set(["local-webhooks"]), counting);
    assert.equal(await checkTarget("http://127.0.0.1:5432/", policy), undefined);
    assert.equal(await checkTarget("http://localhost:3000/hooks", policy), undefined);
    assert.equal(await checkTarget("ftp://localhost/", policy), "insecure_url");
    assert.deepEqual(asked, []);
  });

  it("the connection's lookup fails with a blocked-address error when an answer is not public, and returns what it checked otherwise", async () => {
    const lookup = guardedLookup(strict(resolve));
    const run = (hostname: string, options: { all?: boolean; family?: number }) =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((done) => lookup(hostname, options, (error, address, family) => done({ error, address, family })));

    const blocked = await run("mixed.example", { all: true });
    assert.ok(blocked.error instanceof BlockedAddressError);
    assert.equal(deliveryErrorClass(blocked.error), "blocked_address");
    assert.ok((await run("localhost", {})).error instanceof BlockedAddressError);

    const all = await run("hooks.example", { all: true });
    assert.equal(all.error, null);
    assert.deepEqual(all.address, [{ address: "93.184.216.34", family: 4 }, { address: "2606:2800:220:1:248:1893:25c8:1946", family: 6 }]);
    const v4 = await run("hooks.example", { family: 4 });
    assert.deepEqual([v4.address, v4.family], ["93.184.216.34", 4]);

    const missing = await run("nowhere.example", {});
    assert.equal(deliveryErrorClass(missing.error), "dns_failure");
  });

  it("maps transport errors to coarse classes", () => {
    const error = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:5432 (banner: PostgreSQL)`), { code });
    assert.equal(deliveryErrorClass(new TypeError("fetch failed", { cause: error("ECONNREFUSED") })), "connection_refused");
    assert.equal(deliveryErrorClass(error("UND_ERR_CONNECT_TIMEOUT")), "timeout");
    assert.equal(deliveryErrorClass(error("UND_ERR_HEADERS_TIMEOUT")), "timeout");
    assert.equal(deliveryErrorClass(new DOMException("The operation was aborted due to timeout", "TimeoutError")), "timeout");
    assert.equal(deliveryErrorClass(error("EAI_AGAIN")), "dns_failure");
    assert.equal(deliveryErrorClass(error("DEPTH_ZERO_SELF_SIGNED_CERT")), "tls_error");
    assert.equal(deliveryErrorClass(error("ERR_TLS_CERT_ALTNAME_INVALID")), "tls_error");
    assert.equal(deliveryErrorClass(error("ECONNRESET")), "connection_error");
    assert.equal(deliveryErrorClass(new Error("anything else")), "connection_error");
  });
});
