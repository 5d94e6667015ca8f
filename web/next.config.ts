import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const webRoot = path.dirname(fileURLToPath(import.meta.url));
// The pnpm workspace root: @coinpays/sdk lives beside web/, and both bundling and output file
// tracing must be allowed to look there.
const workspaceRoot = path.resolve(webRoot, "..");

const nextConfig: NextConfig = {
  // The SDK ships TypeScript sources (its package exports point at .ts files).
  transpilePackages: ["@coinpays/sdk"],
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  // The custom server (server.ts) is the only way this app runs; it logs requests itself.
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
