// The built-in sandbox provider: invoices live in p2p_sandbox_invoices, the buyer pays on
// /p2p/sandbox/pay/<invoiceId>, and the sandbox sends an HMAC-signed notification
// (`x-sandbox-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`).
//
// Credentials: { shopId, secretKey }. secretKey `sk_live_…` is a live shop, `sk_test_…` a test shop
// (its payments never count); a secretKey containing "revoked" is rejected as dead credentials, a
// shopId starting with "broken" fails at invoice creation (fault injection for tests).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import { big, one, type Executor } from "../sql.ts";
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

  function sign(body: string, timestamp = Math.floor(now().getTime() / 1000)): string {
    const mac = createHmac("sha256", options.secret).update(`${timestamp}.${body}`).digest("hex");
    return `t=${timestamp},v1=${mac}`;
  }

  async function status(invoiceId: string): Promise<ProviderPaymentStatus> {
    const row = await one(options.db, sql`select * from p2p_sandbox_invoices where id = ${invoiceId}`);
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
      const id = `sbx_${randomBytes(12).toString("hex")}`;
      const row = await one<{ id: string }>(
        options.db,
        sql`insert into p2p_sandbox_invoices (id, shop_id, live, amount, currency, description, notify_url, idempotency_key, expires_at)
            values (${id}, ${c.shopId}, ${c.live}, ${input.amount.toString()}, ${input.currency}, ${input.description},
                    ${notifyBase() ? `${notifyBase()}/api/p2p/providers/sandbox/notify` : null}, ${`${c.shopId}:${input.reference}`}, ${input.expiresAt.toISOString()})
            on conflict (idempotency_key) do update set idempotency_key = excluded.idempotency_key
            returning id`,
      );
      return { invoiceId: row!.id, paymentUrl: `${base}/p2p/sandbox/pay/${row!.id}` };
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
      if (!Number.isInteger(t) || !parts.v1) throw new ProviderError("sandbox: missing signature");
      if (Math.abs(now().getTime() / 1000 - t) > 300) throw new ProviderError("sandbox: signature timestamp outside tolerance");
      const expected = Buffer.from(sign(rawBody, t).split("v1=")[1]!, "hex");
      const given = Buffer.from(parts.v1, "hex");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ProviderError("sandbox: bad signature");
      let body: { event_id?: unknown; invoice_id?: unknown };
      try {
        body = JSON.parse(rawBody) as typeof body;
      } catch {
        throw new ProviderError("sandbox: body is not JSON");
      }
      if (typeof body.event_id !== "string" || typeof body.invoice_id !== "string") throw new ProviderError("sandbox: malformed notification");
      return { eventId: body.event_id, invoiceId: body.invoice_id };
    },
    async pay(invoiceId, payOptions = {}) {
      const row = await one<{ status: string; notify_url: string | null }>(
        options.db,
        sql`update p2p_sandbox_invoices set status = 'succeeded', paid_at = ${now().toISOString()}
            where id = ${invoiceId} and status = 'pending' returning status, notify_url`,
      );
      const current = row ?? (await one<{ status: string; notify_url: string | null }>(options.db, sql`select status, notify_url from p2p_sandbox_invoices where id = ${invoiceId}`));
      if (!current) throw new ProviderError(`sandbox: invoice ${invoiceId} not found`);
      const notified = Boolean(row && current.notify_url && payOptions.notify !== false) && (await notify(current.notify_url!, "payment.succeeded", invoiceId));
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
