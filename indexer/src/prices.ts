/**
 * Fiat values at payment time, from a price table: a JSON file (PRICE_TABLE, default prices/dev.json) of
 * USD prices per whole token as step functions in time. Values are computed once, when a payment is
 * indexed, with bigint arithmetic, and stored as USD × 10^8 (rounded down), so sums in SQL stay exact
 * integers and the price of a past payment never moves. The table is read at start-up: changing it
 * affects payments indexed afterwards; re-index into a new schema to revalue history.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getDeployment } from "@coinpays/sdk/contracts";
import { getAddress, isAddress, parseUnits, zeroAddress, type Address } from "viem";

/** Fiat amounts are integers of 10^-8 USD, like Chainlink's USD feeds. */
export const USD_DECIMALS = 8;

interface PricePoint {
  from: bigint;
  usdE8: bigint;
}

const defaultTable = path.join(path.dirname(fileURLToPath(import.meta.url)), "../prices/dev.json");

type PriceFile = Record<string, Record<string, Array<{ from: string; usd: string }>> | string>;

/** token address (lowercase) → decimals and price points, per chain. */
export type PriceTable = Map<number, Map<string, { decimals: number; points: PricePoint[] }>>;

export function parsePriceTable(file: PriceFile): PriceTable {
  const table: PriceTable = new Map();
  for (const [chainKey, tokens] of Object.entries(file)) {
    if (chainKey.startsWith("$")) continue;
    const chainId = Number(chainKey);
    if (!Number.isInteger(chainId) || typeof tokens !== "object") throw new Error(`price table: bad chain key ${chainKey}`);
    const deployment = getDeployment(chainId);
    const byAddress = new Map<string, { decimals: number; points: PricePoint[] }>();
    for (const [key, series] of Object.entries(tokens)) {
      let address: Address;
      let decimals: number;
      if (key === "native") {
        address = zeroAddress;
        decimals = 18;
      } else {
        const token = deployment?.tokens.find((t) => t.symbol === key || (isAddress(key) && t.address.toLowerCase() === key.toLowerCase()));
        if (!token) throw new Error(`price table: chain ${chainId} has no deployed token ${key}`);
        address = getAddress(token.address);
        decimals = token.decimals;
      }
      const points = series
        .map((point) => {
          const from = Date.parse(point.from);
          if (Number.isNaN(from)) throw new Error(`price table: ${key} has a bad time ${point.from}`);
          return { from: BigInt(from / 1000), usdE8: parseUnits(point.usd, USD_DECIMALS) };
        })
        .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
      byAddress.set(address.toLowerCase(), { decimals, points });
    }
    table.set(chainId, byAddress);
  }
  return table;
}

let loaded: PriceTable | undefined;
function priceTable(): PriceTable {
  loaded ??= parsePriceTable(JSON.parse(readFileSync(process.env.PRICE_TABLE || defaultTable, "utf8")));
  return loaded;
}

/** `amount` base units of `token` in USD × 10^8 at `timestamp` (unix seconds), or null without a price. */
export function usdValueE8(chainId: number, token: Address, amount: bigint, timestamp: bigint): bigint | null {
  const entry = priceTable().get(chainId)?.get(token.toLowerCase());
  if (!entry) return null;
  let price: bigint | undefined;
  for (const point of entry.points) {
    if (point.from > timestamp) break;
    price = point.usdE8;
  }
  if (price === undefined) return null;
  return (amount * price) / 10n ** BigInt(entry.decimals);
}
