import { fileURLToPath } from "node:url";
import path from "node:path";

/** Absolute path of the repository root, wherever a script is started from. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const ARTIFACTS_DIR = path.join(ROOT, "artifacts");
export const DEPLOYMENTS_DIR = path.join(ROOT, "deployments");
export const GENERATED_CONTRACTS_DIR = path.join(ROOT, "sdk/src/contracts");
