// Sign-In with Ethereum and the session it starts (tag "auth").
import { z } from "zod";
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error429 } from "./responses.ts";

const siweVerifySchema = z
  .object({
    message: z.string().min(1).max(4_000).meta({ description: "The EIP-4361 message as signed" }),
    signature: z.string().regex(/^0x[0-9a-fA-F]{2,4000}$/, { error: "must be 0x-prefixed hex" }),
  })
  .strict()
  .meta({ id: "SiweVerifyRequest" });

/** Nonces are cheap to ask for and each is a row: 60 a minute per client (an office behind one NAT) is more than any wallet needs. */
export const SIWE_NONCE_LIMIT = { name: "siwe-nonce", points: 60, durationSeconds: 60 };
/** Each verify may cost an on-chain signature check (ERC-1271 / ERC-6492). */
export const SIWE_VERIFY_LIMIT = { name: "siwe-verify", points: 60, durationSeconds: 60 };

export function authRoutes({ auth, merchants, sessionCookie }: GatewayServices): Route[] {
  return [
    route({
      method: "GET", path: "/api/auth/nonce", operationId: "getSiweNonce", tag: "auth", auth: "none",
      rateLimit: { rule: SIWE_NONCE_LIMIT, by: "client" },
      summary: "A fresh single-use nonce for a Sign-In with Ethereum message (valid 10 minutes).",
      responses: { 200: { description: "Nonce" }, 429: error429 },
      handler: async () => {
        const { nonce, expiresAt } = await auth.createNonce();
        return json({ nonce, expiresAt: expiresAt.toISOString() });
      },
    }),
    route({
      method: "POST", path: "/api/auth/verify", operationId: "verifySiwe", tag: "auth", auth: "none", body: siweVerifySchema,
      rateLimit: { rule: SIWE_VERIFY_LIMIT, by: "client" },
      summary: "Verifies a signed EIP-4361 message for this site (domain and URI on its configured origin, its chain) and starts a session (httpOnly cookie).",
      responses: { 200: { description: "Signed in" }, 400: error400, 401: { description: "Wrong domain, URI or chain, unknown/used/expired nonce, or bad signature" }, 429: error429 },
      handler: async ({ body }) => {
        const result = await auth.signIn({ message: body.message, signature: body.signature as `0x${string}` });
        return json(
          { user: { id: result.user.userId, address: result.user.address }, created: result.created, expiresAt: result.expiresAt.toISOString() },
          200,
          { "set-cookie": sessionCookie(result.token, result.expiresAt) },
        );
      },
    }),
    route({
      method: "POST", path: "/api/auth/logout", operationId: "logout", tag: "auth", auth: "session",
      summary: "Ends the current session.",
      responses: { 200: { description: "Signed out" }, 401: error401 },
      handler: async ({ user }) => {
        await auth.signOut(user.sessionId);
        return json({ signedOut: true }, 200, { "set-cookie": sessionCookie("", null) });
      },
    }),
    route({
      method: "GET", path: "/api/auth/me", operationId: "getMe", tag: "auth", auth: "session",
      summary: "The signed-in user and the accounts they belong to.",
      responses: { 200: { description: "User" }, 401: error401 },
      handler: async ({ user }) => json({ user: { id: user.userId, address: user.address }, merchants: await merchants.listForUser(user.userId) }),
    }),
  ];
}
