// The built-in sandbox provider: invoices live in p2p_sandbox_invoices, the buyer pays on
// /p2p/sandbox/pay/<invoiceId>, and the sandbox sends an HMAC-signed notification
// (`x-sandbox-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`).
//
// Credentials: { shopId, secretKey }. secretKey `sk_live_…` is a live shop, `sk_test_…` a test shop
// (its payments never count); a secretKey containing "revoked" is rejected as dead credentials, a
// shopId starting with "broken" fails at invoice creation (fault injection for tests).
//
// The sandbox stands in for a provider's own database, and its two writes per buyer (the invoice,
// the payment) were two of the desk cycle's five durable commits. Like the desk's writer
// (server/p2p/write-batcher.ts) they group-commit: invoices and payments submitted while one
// statement is in flight go together in the next one, a single autocommit statement, so each caller
// still returns only after its own write is durable; with no load a group holds one write.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import { big, one, preparedRows, type Executor } from "../sql.ts";
import {
  ProviderError,
  type CreateInvoiceInput,
  type PaymentProvider,
  type ProviderCredentials,
  type ProviderPaymentStatus,
} from "./types.ts";

export type SandboxOptions = {
  db: Executor;
  secret: string;
  /** Base URL for payment links shown to buyers; relative links when unset. */
  publicUrl?: string;
  /** Base URL the sandbox posts notifications to (this server); no notifications when it returns undefined. */
  notifyBase?: () => string | undefined;
  /** Extra fault injection: return true to fail this invoice creation. */
  failCreate?: (shopId: string) => boolean;
  now?: () => Date;
};

export type SandboxProvider = PaymentProvider & {
  /** The buyer pays (the sandbox payment page's button). Sends the signed notification. */
  pay(invoiceId: string, options?: { notify?: boolean }): Promise<{ status: string; notified: boolean }>;
  /**
   * Dev/operator action: the money of a succeeded payment goes back to the payer (a refund by the
   * shop or a chargeback by the card issuer). Sends a signed notification like a payment does.
   */
  reverse(invoiceId: string, kind: "refund" | "chargeback", options?: { notify?: boolean }): Promise<{ status: string; notified: boolean }>;
  getInvoice(invoiceId: string): Promise<Record<string, unknown> | undefined>;
  sign(body: string, timestamp?: number): string;
};

/**
 * Runs writes submitted while a group is in flight together in the next group. `run` returns one
 * result per input, in order. When a group fails as a whole and held several writes, each is run
 * alone so one bad write does not fail the others.
 */
function groupCommit<In, Out>(run: (inputs: In[]) => Promise<Out[]>, maxGroup = 200): (input: In) => Promise<Out> {
  type Waiting = { input: In; resolve(value: Out): void; reject(error: unknown): void };
  const queue: Waiting[] = [];
  let running = false;
  async function settle(group: Waiting[]): Promise<void> {
    try {
      const results = await run(group.map((w) => w.input));
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      for (const w of group) await settle([w]);
    }
  }
  async function drain(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) await settle(queue.splice(0, maxGroup));
    } finally {
      running = false;
    }
  }
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      void drain();
    });
}

type InvoiceInsert = {
  id: string;
  shop_id: string;
  live: boolean;
  amount: string;
  currency: string;
  description: string;
  notify_url: string | null;
  idempotency_key: string;
  expires_at: string;
};
type PaidRow = { id: string; status: string; notify_url: string | null; changed: boolean };

function parseCredentials(credentials: ProviderCredentials): { shopId: string; secretKey: string; live: boolean } {
  const shopId = credentials.shopId ?? "";
  const secretKey = credentials.secretKey ?? "";
  if (!/^[A-Za-z0-9_-]{3,64}$/.test(shopId)) throw new ProviderError("sandbox: shopId must be 3-64 letters, digits, _ or -", { credentialsRejected: true });
  const match = /^sk_(live|test)_[A-Za-z0-9_-]{8,}$/.exec(secretKey);
  if (!match || secretKey.includes("revoked")) throw new ProviderError("sandbox: secret key rejected", { credentialsRejected: true });
  return { shopId, secretKey, live: match[1] === "live" };
}

export function createSandboxProvider(options: SandboxOptions): SandboxProvider {
  const now = options.now ?? (() => new Date());
  const base = options.publicUrl ?? "";
  const notifyBase = () => options.notifyBase?.() ?? (options.publicUrl || undefined);

  // One insert for a group of invoices. The same idempotency key twice in one group would make
  // ON CONFLICT touch a row twice, so a repeated key is inserted once and answered for every caller.
  const insertInvoice = groupCommit<InvoiceInsert, string>(async (inputs) => {
    const unique = [...new Map(inputs.map((input) => [input.idempotency_key, input])).values()];
    const inserted = (await options.db.execute(
      sql`insert into p2p_sandbox_invoices (id, shop_id, live, amount, currency, description, notify_url, idempotency_key, expires_at)
          select id, shop_id, live, amount, currency, description, notify_url, idempotency_key, expires_at
          from jsonb_to_recordset(${JSON.stringify(unique)}::jsonb) as x(id text, shop_id text, live boolean, amount numeric, currency text,
                                                                          description text, notify_url text, idempotency_key text, expires_at timestamptz)
          on conflict (idempotency_key) do update set idempotency_key = excluded.idempotency_key
          returning id, idempotency_key`,
    )) as { rows: { id: string; idempotency_key: string }[] };
    const idByKey = new Map(inserted.rows.map((row) => [row.idempotency_key, row.id]));
    return inputs.map((input) => idByKey.get(input.idempotency_key)!);
  });

  // One statement for a group of payments: pending → succeeded where still pending, and every
  // invoice's status after it. An invoice paid twice in one group changes once (the first caller).
  const payInvoice = groupCommit<{ id: string; at: string }, PaidRow | undefined>(async (inputs) => {
    const unique = [...new Map(inputs.map((input) => [input.id, input])).values()];
    const result = (await options.db.execute(
      sql`with x as (select * from jsonb_to_recordset(${JSON.stringify(unique)}::jsonb) as x(id text, at timestamptz)),
               paid as (update p2p_sandbox_invoices i set status = 'succeeded', paid_at = x.at from x
                        where i.id = x.id and i.status = 'pending' returning i.id, i.status, i.notify_url)
          select i.id, coalesce(p.status, i.status) as status, i.notify_url, p.id is not null as changed
          from x join p2p_sandbox_invoices i on i.id = x.id left join paid p on p.id = i.id`,
    )) as { rows: PaidRow[] };
    const byId = new Map(result.rows.map((row) => [row.id, row]));
    const answered = new Set<string>();
    return inputs.map((input) => {
      const row = byId.get(input.id);
      if (!row) return undefined;
      const first = !answered.has(input.id);
      answered.add(input.id);
      return first ? row : { ...row, changed: false };
    });
  });

  function sign(body: string, timestamp = Math.floor(now().getTime() / 1000)): string {
    const mac = createHmac("sha256", options.secret).update(`${timestamp}.${body}`).digest("hex");
    return `t=${timestamp},v1=${mac}`;
  }

  async function status(invoiceId: string): Promise<ProviderPaymentStatus> {
    const [row] = await preparedRows(options.db, "p2p_sandbox_invoice", sql`select * from p2p_sandbox_invoices where id = ${invoiceId}`);
    if (!row) throw new ProviderError(`sandbox: invoice ${invoiceId} not found`);
    return {
      invoiceId,
      status: row.status as ProviderPaymentStatus["status"],
      amount: big(row.amount),
      currency: String(row.currency),
      shopId: String(row.shop_id),
      live: Boolean(row.live),
      ...(row.status === "refunded" || row.status === "charged_back" ? { reversedAmount: big(row.amount) } : {}),
    };
  }

  async function notify(url: string, type: string, invoiceId: string): Promise<boolean> {
    const body = JSON.stringify({ event_id: `evt_${randomBytes(8).toString("hex")}`, type, invoice_id: invoiceId });
    // A hint only: the desk confirms through getStatus, and its sweeper polls if this is lost.
    return fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-sandbox-signature": sign(body) },
      body,
      signal: AbortSignal.timeout(5_000),
    })
      .then((r) => r.ok)
      .catch(() => false);
  }

  return {
    id: "sandbox",
    sign,
    async verifyCredentials(credentials) {
      const c = parseCredentials(credentials);
      return { shopId: c.shopId, live: c.live };
    },
    async createInvoice(credentials, input: CreateInvoiceInput) {
      const c = parseCredentials(credentials);
      if (c.shopId.startsWith("broken") || options.failCreate?.(c.shopId)) throw new ProviderError("sandbox: shop is unavailable");
      const invoiceId = await insertInvoice({
        id: `sbx_${randomBytes(12).toString("hex")}`,
        shop_id: c.shopId,
        live: c.live,
        amount: input.amount.toString(),
        currency: input.currency,
        description: input.description,
        notify_url: notifyBase() ? `${notifyBase()}/api/p2p/providers/sandbox/notify` : null,
        idempotency_key: `${c.shopId}:${input.reference}`,
        expires_at: input.expiresAt.toISOString(),
      });
      return { invoiceId, paymentUrl: `${base}/p2p/sandbox/pay/${invoiceId}` };
    },
    async getStatus(credentials, invoiceId) {
      parseCredentials(credentials);
      return status(invoiceId);
    },
    async cancel(credentials, invoiceId) {
      parseCredentials(credentials);
      await options.db.execute(sql`update p2p_sandbox_invoices set status = 'canceled' where id = ${invoiceId} and status = 'pending'`);
    },
    async refund(credentials, invoiceId) {
      parseCredentials(credentials);
      await options.db.execute(sql`update p2p_sandbox_invoices set status = 'refunded' where id = ${invoiceId} and status = 'succeeded'`);
    },
    verifyNotification(headers, rawBody) {
      const header = headers.get("x-sandbox-signature") ?? "";
      const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
      const t = Number(parts.t);
      if (!Number.isInteger(t) || !parts.v1) throw new ProviderError("sandbox: missing signature", { failure: "bad_notification" });
      if (Math.abs(now().getTime() / 1000 - t) > 300) throw new ProviderError("sandbox: signature timestamp outside tolerance", { failure: "bad_notification" });
      const expected = Buffer.from(sign(rawBody, t).split("v1=")[1]!, "hex");
      const given = Buffer.from(parts.v1, "hex");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ProviderError("sandbox: bad signature", { failure: "bad_notification" });
      let body: { event_id?: unknown; invoice_id?: unknown };
      try {
        body = JSON.parse(rawBody) as typeof body;
      } catch {
        throw new ProviderError("sandbox: body is not JSON", { failure: "bad_notification" });
      }
      if (typeof body.event_id !== "string" || typeof body.invoice_id !== "string") throw new ProviderError("sandbox: malformed notification", { failure: "bad_notification" });
      return { eventId: body.event_id, invoiceId: body.invoice_id };
    },
    async pay(invoiceId, payOptions = {}) {
      const current = await payInvoice({ id: invoiceId, at: now().toISOString() });
      if (!current) throw new ProviderError(`sandbox: invoice ${invoiceId} not found`);
      const notified = Boolean(current.changed && current.notify_url && payOptions.notify !== false) && (await notify(current.notify_url!, "payment.succeeded", invoiceId));
      return { status: current.status, notified };
    },
    async reverse(invoiceId, kind, reverseOptions = {}) {
      const status = kind === "refund" ? "refunded" : "charged_back";
      const row = await one<{ status: string; notify_url: string | null }>(
        options.db,
        sql`update p2p_sandbox_invoices set status = ${status}, reversed_at = ${now().toISOString()}
            where id = ${invoiceId} and status = 'succeeded' returning status, notify_url`,
      );
      const current = row ?? (await one<{ status: string; notify_url: string | null }>(options.db, sql`select status, notify_url from p2p_sandbox_invoices where id = ${invoiceId}`));
      if (!current) throw new ProviderError(`sandbox: invoice ${invoiceId} not found`);
      if (!row && current.status !== status) throw new ProviderError(`sandbox: only a succeeded payment can be reversed (it is ${current.status})`);
      const notified =
        Boolean(row && current.notify_url && reverseOptions.notify !== false) && (await notify(current.notify_url!, `payment.${status}`, invoiceId));
      return { status: current.status, notified };
    },
    async getInvoice(invoiceId) {
      return one(options.db, sql`select * from p2p_sandbox_invoices where id = ${invoiceId}`);
    },
  };
}
