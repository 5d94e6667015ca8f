// A large body sent to a P2P route is refused with 413 while it is still arriving: the desk reads at
// most 64 KiB (the statement import, an operator route, a little more) and never buffers a body
// whole before checking its size. Against the production build and real PostgreSQL. The test sends
// 10 MiB slowly, with and without a Content-Length, and looks at when the answer comes: before the
// client has sent the body (before: only after all 10 MiB had been read into memory, then a 400).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { startDeskServer, type DeskServer } from "../p2p/desk-server.ts";
import { createVerifiedUser } from "../p2p/support.ts";

const TOTAL = 10 * 1024 * 1024;
const CHUNK = 256 * 1024;

type Answer = { status: number; json: any; sentWhenAnswered: number };

/** Streams TOTAL bytes of a JSON string value, CHUNK at a time with a pause, until the server answers. */
function sendLarge(base: string, path: string, options: { cookie?: string; declareLength: boolean }): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered: Answer | undefined;
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      agent: false,
      headers: {
        "content-type": "application/json",
        ...(options.cookie ? { cookie: options.cookie, origin: url.origin } : {}),
        ...(options.declareLength ? { "content-length": String(TOTAL) } : { "transfer-encoding": "chunked" }),
      },
    });
    req.on("response", (res) => {
      answered = { status: res.statusCode ?? 0, json: undefined, sentWhenAnswered: sent };
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          answered!.json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          answered!.json = undefined;
        }
        req.destroy();
        resolve(answered!);
      });
    });
    // Once answered, the server may close the connection under the rest of the body: not a failure.
    req.on("error", (error) => (answered ? undefined : reject(error)));
    const deadline = setTimeout(() => req.destroy(new Error("no answer within 60 s")), 60_000);
    req.on("close", () => clearTimeout(deadline));
    const head = Buffer.from('{"amount":"1.00","note":"');
    const write = async () => {
      req.write(head);
      sent += head.length;
      while (sent < TOTAL && !answered && !req.destroyed) {
        const size = Math.min(CHUNK, TOTAL - sent - 2);
        if (size <= 0) break;
        const ok = req.write(Buffer.alloc(size, 0x61));
        sent += size;
        if (!ok) await new Promise((r) => req.once("drain", r));
        await new Promise((r) => setTimeout(r, 25));
      }
      if (!answered && !req.destroyed) {
        req.end('"}');
        sent += 2;
      }
    };
    write().catch(reject);
  });
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

describe("P2P request bodies are bounded while they stream", () => {
  let desk: DeskServer;
  let cookie: string;

  before(async () => {
    desk = await startDeskServer("p2p_body");
    cookie = await desk.sessionCookie(await createVerifiedUser(desk.handle, "big-body"));
  });
  after(async () => {
    await desk?.close();
  });

  for (const declareLength of [true, false]) {
    it(`a 10 MiB body ${declareLength ? "with a Content-Length" : "sent chunked"} is refused with 413 before it has been sent`, async () => {
      const rssBefore = rssKiB(desk.server.pid);
      const before = await desk.fingerprint();
      for (const [path, withCookie] of [
        ["/api/p2p/orders", true],
        ["/api/p2p/orders/00000000-0000-4000-8000-000000000000/claim-paid", true],
        ["/api/p2p/providers/sandbox/notify", false],
        ["/api/p2p/providers/yookassa/notify", false],
        ["/api/p2p/providers/tbank/notify", false],
      ] as const) {
        const answer = await sendLarge(desk.url, path, { cookie: withCookie ? cookie : undefined, declareLength });
        assert.equal(answer.status, 413, `${path}: ${JSON.stringify(answer.json)}`);
        assert.equal(answer.json?.error?.code, "payload_too_large", path);
        assert.ok(answer.sentWhenAnswered < TOTAL / 2, `${path}: answered after ${answer.sentWhenAnswered} of ${TOTAL} bytes, so the body was not read whole first`);
      }
      const rssAfter = rssKiB(desk.server.pid);
      console.log(`server RSS ${rssBefore} KiB before, ${rssAfter} KiB after five 10 MiB bodies (${declareLength ? "Content-Length" : "chunked"})`);
      assert.deepEqual(await desk.fingerprint(), before, "nothing written");
      // The server is fine afterwards.
      assert.equal((await desk.call("GET", "/api/p2p/me", { cookie })).status, 200);
    });
  }

  it("a body just under the bound is read; one just over it is a 413", async () => {
    const pad = (n: number) => JSON.stringify({ amount: "1.00", method: "sandbox", pad: "x".repeat(n) });
    const under = pad(64 * 1024 - 60);
    assert.ok(Buffer.byteLength(under) <= 64 * 1024);
    const ok = await desk.call("POST", "/api/p2p/orders", { cookie, rawBody: under, headers: { "idempotency-key": "under" } });
    assert.notEqual(ok.status, 413, ok.text);
    const over = await desk.call("POST", "/api/p2p/orders", { cookie, rawBody: pad(64 * 1024), headers: { "idempotency-key": "over" } });
    assert.equal(over.status, 413, over.text);
  });
});
