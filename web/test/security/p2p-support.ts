// Shared by the P2P attack tests: a cookie-keeping HTTP client, the newest e-mailed code (from the
// outbox table the production-build tests run with), and RFC 6238 TOTP codes computed here with
// node:crypto, independently of the library the server uses.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startFakeChain, startFakeIndexer } from "../support/fake-dependencies.ts";
import { createTemporaryDatabase, withClient, type TemporaryDatabase } from "../support/postgres.ts";
import { startServerProcess, type ServerProcess } from "../support/server-process.ts";

export type Answer = { status: number; json: any; headers: Headers };

export class Client {
  cookie = "";
  readonly base: () => string;
  constructor(base: () => string) {
    this.base = base;
  }
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${this.base()}${path}`, {
      method,
      // A signed-in request comes from the desk's own pages: the browser adds their Origin.
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(this.cookie ? { cookie: this.cookie, origin: new URL(this.base()).origin } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: response.status, json, headers: response.headers };
  }
}

export async function latestCode(databaseUrl: string, to: string): Promise<string> {
  const result = await withClient(databaseUrl, (c) =>
    c.query(`select subject from p2p_mail_outbox where "to" = $1 order by id desc limit 1`, [to.toLowerCase()]),
  );
  return /(\d{6})/.exec(String(result.rows[0]?.subject))![1]!;
}

export async function signUp(base: () => string, email: string, password = "a long password"): Promise<Client> {
  const client = new Client(base);
  const created = await client.call("POST", "/api/p2p/auth/signup", { email, password });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const session = await client.call("POST", "/api/p2p/auth/signin", { email, password });
  assert.equal(session.status, 200, JSON.stringify(session.json));
  return client;
}

export async function signUpVerified(base: () => string, databaseUrl: string, email: string): Promise<Client> {
  const client = await signUp(base, email);
  const verified = await client.call("POST", "/api/p2p/auth/verify", { code: await latestCode(databaseUrl, email) });
  assert.equal(verified.status, 200, JSON.stringify(verified.json));
  return client;
}

function base32Decode(value: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of value.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(Number.parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The 6-digit TOTP (SHA-1, 30 s) of `secret` (base32) for time step `step` (RFC 6238 / RFC 4226). */
export function totpAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, "0");
}

const currentStep = () => Math.floor(Date.now() / 30_000);

/**
 * An operator's authenticator app. Each code is good once and the server accepts the previous,
 * current and next time step (clock drift), so `next()` hands out one step after another, starting
 * with the previous one, and waits only when the next unused step is not yet within the window.
 */
export class Authenticator {
  readonly secret: string;
  last: number;
  constructor(secret: string) {
    this.secret = secret;
    this.last = currentStep() - 2;
  }
  async next(): Promise<string> {
    // The previous step only while it stays in the server's window for the request's flight.
    const earliest = Date.now() % 30_000 < 25_000 ? currentStep() - 1 : currentStep();
    const step = Math.max(this.last + 1, earliest);
    while (step > currentStep() + 1) await new Promise((resolve) => setTimeout(resolve, 250));
    this.last = step;
    return totpAt(this.secret, step);
  }
  /** The code of the last step handed out (a replay). */
  replay(): string {
    return totpAt(this.secret, this.last);
  }
}

/** Enrols the signed-in operator's authenticator (confirmed with a first code). */
export async function enrolTotp(operator: { call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> }): Promise<Authenticator> {
  const started = await operator.call("POST", "/api/p2p/operator/totp", {});
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const app = new Authenticator(String(started.json.totp.secret));
  const confirmed = await operator.call("POST", "/api/p2p/operator/totp/confirm", { code: await app.next() });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.json));
  return app;
}

/**
 * The desk's production server on a fresh database with a fake chain and indexer (the desk needs
 * neither). `restart(env)` replaces the server, keeping the database: a change of configuration.
 */
export type DeskProcess = { database: TemporaryDatabase; server: ServerProcess; base: () => string; restart(env?: Record<string, string>): Promise<void>; close(): Promise<void> };

export async function startDeskProcess(label: string, env: Record<string, string> = {}): Promise<DeskProcess> {
  const database = await createTemporaryDatabase(label);
  const [chain, indexer] = await Promise.all([startFakeChain(31337, 1n), startFakeIndexer(200)]);
  const start = (extra: Record<string, string>) => startServerProcess({ DATABASE_URL: database.url, RPC_URL: chain.url, INDEXER_URL: indexer.url, ...extra });
  const desk: DeskProcess = {
    database,
    server: await start(env),
    base: () => desk.server.url,
    async restart(next = env) {
      await desk.server.stop("SIGKILL");
      desk.server = await start(next);
    },
    async close() {
      await desk.server.stop("SIGKILL").catch(() => undefined);
      await Promise.all([chain.close(), indexer.close()]);
      await database.drop();
    },
  };
  return desk;
}
