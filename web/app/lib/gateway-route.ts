// Route handlers of the gateway API: every method forwards the request, untouched, to the
// framework-free router in server/gateway/api.ts (which validates, authorises and answers).
import { serverServices } from "./server-services.ts";

async function forward(request: Request): Promise<Response> {
  const { gateway } = await serverServices();
  return gateway.handle(request);
}

export const gatewayHandlers = { GET: forward, POST: forward, PATCH: forward, PUT: forward, DELETE: forward };
