import { z } from "zod";
import { parseStatement } from "../../../../../server/p2p/formats.ts";
import { json, otpField, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({
  format: z.enum(["csv", "json"]),
  content: z.string().min(1).max(5_000_000),
  source: z.string().max(100).optional(),
  otp: otpField,
});

/** Operator: imports the game room's transfer statement (format in docs/p2p.md); credits money, so it needs the authenticator code and is audited. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, asOperator }) => {
    const input = await readBody(request, body);
    const records = parseStatement(input.content, input.format);
    return json({ result: await asOperator(input.otp, (act) => p2p.desk.importStatement(records, input.source ?? `import:${input.format}`, act)) });
  });
}
