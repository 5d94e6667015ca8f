// The signed-in desk user for pages (server components), from the session cookie.
import { cookies } from "next/headers";
import type { DeskUser } from "../../server/p2p/auth.ts";
import type { P2PServices } from "../../server/p2p/index.ts";
import { serverServices } from "../lib/server-services.ts";

export async function deskSession(): Promise<{ p2p: P2PServices; user: DeskUser | undefined }> {
  const { p2p } = await serverServices();
  const token = (await cookies()).get("p2p_session")?.value;
  return { p2p, user: await p2p.auth.authenticate(token) };
}
