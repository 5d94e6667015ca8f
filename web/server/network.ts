// What the landing page's "network status" card shows: the configured chain, its latest block,
// and where CoinPays is deployed on it. Serialisable (block numbers as decimal strings).
import type { PublicClient } from "viem";
import {
  findDeployment,
  listDeployedContracts,
  listDeployedTokens,
  type DeployedContract,
  type DeployedToken,
} from "./contracts.ts";
import { withTimeout } from "./timeout.ts";

export type NetworkStatus = {
  chainId: number;
  chainName: string;
  rpc: { reachable: boolean; latestBlock: string | null };
  /** False when the generated deployments have no entry for the configured chain. */
  deployed: boolean;
  contracts: DeployedContract[];
  tokens: DeployedToken[];
};

export type NetworkService = { status(): Promise<NetworkStatus> };

export function createNetworkService(deps: { chain: PublicClient; chainId: number }): NetworkService {
  return {
    async status() {
      const deployment = findDeployment(deps.chainId);
      const latestBlock = await withTimeout(deps.chain.getBlockNumber(), 2_000, "block number").then(
        (block) => block.toString(),
        () => null,
      );
      return {
        chainId: deps.chainId,
        chainName: deployment?.name ?? deps.chain.chain?.name ?? `Chain ${deps.chainId}`,
        rpc: { reachable: latestBlock !== null, latestBlock },
        deployed: deployment !== undefined,
        contracts: deployment ? listDeployedContracts(deployment) : [],
        tokens: deployment ? listDeployedTokens(deployment) : [],
      };
    },
  };
}
