import { errorResponse, json, withP2P } from "../../../../../../lib/p2p-http.ts";

/** The sandbox payment page's "Pay" button (stands in for the buyer paying at a real provider). */
export async function POST(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return withP2P(request, { auth: "none" }, async ({ p2p }) => {
    if (!p2p.config.sandboxEnabled) return errorResponse(404, "not_found", "the sandbox provider is disabled");
    const { id } = await context.params;
    if (!/^sbx_[0-9a-f]{24}$/.test(id) || !(await p2p.sandbox.getInvoice(id))) return errorResponse(404, "not_found", "invoice not found");
    return json(await p2p.sandbox.pay(id));
  });
}
