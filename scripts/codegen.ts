/**
 * Regenerates sdk/src/contracts from the Hardhat artifacts and deployments/*.json (run after `hardhat
 * compile`). `--check` only verifies that the committed files are current, and fails if not.
 */
import { generateContractsModule } from "./lib/codegen.ts";

const check = process.argv.includes("--check");
const stale = await generateContractsModule({ check });
if (check && stale.length) {
  console.error(`out of date (run \`pnpm codegen\`): ${stale.join(", ")}`);
  console.log("codegen: 0 passed, 1 failed");
  process.exit(1);
}
console.log(check ? "codegen: 1 passed, 0 failed" : `sdk/src/contracts ${stale.length ? "regenerated" : "already current"}`);
