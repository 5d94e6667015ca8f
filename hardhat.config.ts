import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";

const require = createRequire(import.meta.url);

// The compiler comes from the npm `solc` package (WASM build) so nothing is downloaded at build time.
// Its version must equal `version` below; both are pinned in package.json.
const SOLC_VERSION = "0.8.28";

export default defineConfig({
  plugins: [hardhatMocha, hardhatViem, hardhatViemAssertions, hardhatNetworkHelpers],
  solidity: {
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: {
          optimizer: { enabled: true, runs: 10_000 },
          evmVersion: "cancun",
        },
      },
    },
  },
  paths: {
    sources: "./contracts",
    tests: { mocha: "./test", solidity: "./test" },
  },
  test: {
    solidity: {
      fuzz: { runs: 1000 },
      invariant: { runs: 256, depth: 200, failOnRevert: true },
    },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.RPC_URL ?? "http://127.0.0.1:8545",
    },
  },
});
