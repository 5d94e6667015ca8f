import { z } from "zod";
import { parseStatement } from "../../../../../server/p2p/formats.ts";
import { json, otpField, readBody, withP2P } from "../../../../lib/p2p-http.ts";

const body = z.object({
  format: z.enum(["csv", "json"]),
  content: z.string().min(1).max(5_000_000),
  source: z.string().max(100).optional(),
  otp: otpField,
});
// A statement is the one large body the desk takes: 5,000,000 characters, each at most a few bytes
// once UTF-8 and JSON-escaped; the read stops at this bound either way.
const MAX_IMPORT_BYTES = 12 * 1024 * 1024;

/** Operator: imports the game room's transfer statement (format in docs/p2p.md); credits money, so it needs the authenticator code and is audited. */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, asOperator }) => {
    const input = await readBody(request, body, { maxBytes: MAX_IMPORT_BYTES });
    const records = parseStatement(input.content, input.format);
    return json({ result: await asOperator(input.otp, (act) => p2p.desk.importStatement(records, input.source ?? `import:${input.format}`, act)) });
  });
}
