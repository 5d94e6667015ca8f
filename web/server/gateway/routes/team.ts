// The people on an account and their roles (tag "team").
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { addMemberSchema, updateMemberSchema } from "../merchants/service.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error403, error404 } from "./responses.ts";

export function teamRoutes({ merchants }: GatewayServices): Route[] {
  return [
    route({
      method: "GET", path: "/api/merchants/{merchantId}/members", operationId: "listMembers", tag: "team", auth: "session",
      summary: "Team members with their roles.",
      responses: { 200: { description: "Members" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => json({ data: await merchants.listMembers(user.userId, params.merchantId!) }),
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/members", operationId: "addMember", tag: "team", auth: "session", body: addMemberSchema,
      summary: "Adds a member by wallet address (owner).",
      responses: { 201: { description: "Member" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Already a member" } },
      handler: async ({ user, params, body }) => json(await merchants.addMember(user.userId, params.merchantId!, body), 201),
    }),
    route({
      method: "PATCH", path: "/api/merchants/{merchantId}/members/{userId}", operationId: "updateMember", tag: "team", auth: "session", body: updateMemberSchema,
      summary: "Changes a member's role (owner; the last owner of a top-level account stays).",
      responses: { 200: { description: "Member" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Last owner" } },
      handler: async ({ user, params, body }) => json(await merchants.updateMember(user.userId, params.merchantId!, params.userId!, body)),
    }),
    route({
      method: "DELETE", path: "/api/merchants/{merchantId}/members/{userId}", operationId: "removeMember", tag: "team", auth: "session",
      summary: "Removes a member (owner).",
      responses: { 200: { description: "Removed" }, 401: error401, 403: error403, 404: error404, 409: { description: "Last owner" } },
      handler: async ({ user, params }) => {
        await merchants.removeMember(user.userId, params.merchantId!, params.userId!);
        return json({ removed: true });
      },
    }),
  ];
}
