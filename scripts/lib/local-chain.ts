import path from "node:path";
import { createPublicClient, http } from "viem";
import { ROOT } from "./paths.ts";
import { freePort, startProcess, waitFor, type ManagedProcess } from "./processes.ts";

export interface LocalChain {
  rpcUrl: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts Hardhat's EDR node (chain 31337, the 20 funded dev accounts, automine) and waits until it answers.
 * Port 0 picks a free port, which is what tests use so they can run beside a developer's own stack.
 */
export async function startLocalChain(options: { port?: number; host?: string; echo?: boolean } = {}): Promise<LocalChain> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port === undefined || options.port === 0 ? await freePort() : options.port;
  const hardhat = path.join(ROOT, "node_modules/.bin/hardhat");
  const node = startProcess(hardhat, ["node", "--hostname", host, "--port", String(port)], { cwd: ROOT, label: "chain", echo: options.echo, env: process.env });
  const rpcUrl = `http://${host}:${port}`;
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  await waitFor("the local chain to answer", async () => ((await client.getChainId()) ? true : undefined), 60_000, node);
  return { rpcUrl, process: node, stop: () => node.stop() };
}
