import { z } from "zod";
import { errorResponse, json, readBody, withP2P } from "../../../../../../lib/p2p-http.ts";

const body = z.object({ kind: z.enum(["refund", "chargeback"]) });

/**
 * Sandbox only, operators only: the money of a succeeded sandbox payment goes back to the payer (the
 * shop refunds, or the card issuer charges back), with a signed notification — the way to exercise
 * the desk's claw-back without a real provider.
 */
export async function POST(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p }) => {
    if (!p2p.config.sandboxEnabled) return errorResponse(404, "not_found", "the sandbox provider is disabled");
    const { id } = await context.params;
    if (!/^sbx_[0-9a-f]{24}$/.test(id) || !(await p2p.sandbox.getInvoice(id))) return errorResponse(404, "not_found", "invoice not found");
    const input = await readBody(request, body);
    const invoice = await p2p.sandbox.getInvoice(id);
    if (invoice?.status !== "succeeded" && invoice?.status !== (input.kind === "refund" ? "refunded" : "charged_back")) {
      return errorResponse(409, "conflict", `only a succeeded payment can be reversed (it is ${String(invoice?.status)})`);
    }
    return json(await p2p.sandbox.reverse(id, input.kind));
  });
}
