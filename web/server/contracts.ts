// The deployed CoinPays contracts per chain, from the generated @coinpays/sdk/contracts module
// (the single source of truth for ABIs and addresses; nothing here is copied by hand).
import { getDeployment } from "@coinpays/sdk/contracts";

export type ChainDeployment = NonNullable<ReturnType<typeof getDeployment>>;

export type DeployedContract = { name: string; address: `0x${string}`; deployedAtBlock: number };

export type DeployedToken = { symbol: string; name: string; decimals: number; address: `0x${string}` };

export function findDeployment(chainId: number): ChainDeployment | undefined {
  return getDeployment(chainId);
}

export function listDeployedContracts(deployment: ChainDeployment): DeployedContract[] {
  return Object.entries(deployment.contracts).map(([name, contract]) => ({
    name,
    address: contract.address,
    deployedAtBlock: contract.blockNumber,
  }));
}

export function listDeployedTokens(deployment: ChainDeployment): DeployedToken[] {
  return deployment.tokens.map(({ symbol, name, decimals, address }) => ({ symbol, name, decimals, address }));
}
