// The one way Next.js code reaches the server's services (see server/registry.ts for why they
// live on globalThis). `connection()` marks the caller as request-time only: the services exist
// in the running server, never during `next build`'s prerendering.
import { connection } from "next/server";
import { getServices, type ServerServices } from "../../server/registry.ts";

export async function serverServices(): Promise<ServerServices> {
  await connection();
  return getServices();
}
