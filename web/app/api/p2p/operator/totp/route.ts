import { json, withP2P } from "../../../../lib/p2p-http.ts";

/**
 * Operator: starts authenticator (TOTP) enrolment. The secret is shown once (base32 and an
 * otpauth:// URI for the app) and counts only after POST operator/totp/confirm with a first code.
 */
export async function POST(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, user }) => json({ totp: await p2p.operators.startEnrolment(user) }, 201));
}

export async function GET(request: Request): Promise<Response> {
  return withP2P(request, { auth: "operator" }, async ({ p2p, user }) => json({ totp: await p2p.operators.status(user!) }));
}
