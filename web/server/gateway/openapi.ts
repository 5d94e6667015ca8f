// OpenAPI 3.1 document of the gateway's HTTP API, generated from the route table and the same zod
// schemas that validate requests (z.toJSONSchema; JSON Schema 2020-12 is OpenAPI 3.1's dialect).
import { z } from "zod";
import type { Route } from "./http/router.ts";
import { errorSchema, orderListSchema, orderSchema, refundResponseSchema } from "./orders/schemas.ts";

/**
 * JSON Schema of a zod schema; schemas with a `.meta({ id })` are hoisted into components.schemas
 * (the same name for input and output: their shapes do not differ for the schemas named here).
 */
function jsonSchemaInto(components: Record<string, unknown>) {
  return (schema: z.ZodType, io: "input" | "output"): Record<string, unknown> => {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as Record<string, unknown>;
    const { $schema: _dialect, $defs, ...rest } = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as Record<string, unknown>;
    Object.assign(components, ($defs as Record<string, unknown> | undefined) ?? {});
    return rest;
  };
}

const RESPONSE_SCHEMAS: Record<string, Record<number, z.ZodType>> = {
  createOrder: { 201: orderSchema },
  getOrder: { 200: orderSchema },
  listOrders: { 200: orderListSchema },
  dashboardListOrders: { 200: orderListSchema },
  cancelOrder: { 200: orderSchema },
  dashboardCancelOrder: { 200: orderSchema },
  createRefund: { 201: refundResponseSchema },
};

export function buildOpenApiDocument(routes: readonly Route[], origin: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  const jsonSchema = jsonSchemaInto(schemas);
  for (const route of routes) {
    const parameters: unknown[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: "path", required: true, schema: { type: "string" } }));
    const queryObject = route.query instanceof z.ZodPipe ? route.query.in : route.query;
    if (queryObject instanceof z.ZodObject) {
      for (const [name, field] of Object.entries(queryObject.shape)) {
        const schema = jsonSchema(field as z.ZodType, "input");
        parameters.push({ name, in: "query", required: false, schema, ...(schema.description ? { description: schema.description } : {}) });
      }
    }
    if (route.idempotent) {
      parameters.push({
        name: "Idempotency-Key", in: "header", required: false,
        description: "Same key and body: the stored response is replayed (header Idempotent-Replayed: true). Same key, other body: 422.",
        schema: { type: "string", minLength: 1, maxLength: 255 },
      });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const code = Number(status);
      const schema = RESPONSE_SCHEMAS[route.operationId]?.[code] ?? (code >= 400 ? errorSchema : undefined);
      const contentType = response.contentType ?? "application/json";
      // 304 Not Modified has no body.
      responses[status] = code === 304 ? { description: response.description } : {
        description: response.description,
        content: { [contentType]: schema ? { schema: jsonSchema(schema, "output") } : contentType === "application/json" ? {} : { schema: { type: "string", format: "binary" } } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.auth === "apiKey" ? [{ apiKey: [...(route.scopes ?? ["full"])] }] : route.auth === "session" ? [{ session: [] }] : [],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } } } : {}),
      responses,
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "CoinPays API",
      version: "1.0.0",
      description: "Orders, refunds and QR codes for crypto payments (/api/v1, API key), and the dashboard's account API (/api/auth, /api/merchants, session cookie). Amounts are decimal strings; errors are `{ error: { code, message, details? } }`.",
    },
    servers: [{ url: origin }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "An API key `cp_live_…` from the dashboard" },
        session: { type: "apiKey", in: "cookie", name: "coinpays_session", description: "Set by POST /api/auth/verify" },
      },
    },
  };
}
