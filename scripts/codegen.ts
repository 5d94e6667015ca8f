/** Regenerates sdk/src/contracts from the Hardhat artifacts and deployments/*.json. Run after `hardhat compile`. */
import { generateContractsModule } from "./lib/codegen.ts";

await generateContractsModule();
console.log("sdk/src/contracts regenerated");
