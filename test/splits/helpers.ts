import { encodeAbiParameters, getAddress, keccak256, parseEventLogs, type Address, type Hash } from "viem";

/** 100% in parts per million. */
export const PPM = 1_000_000n;

/** Sorts recipients ascending (as SplitMain requires) keeping each allocation with its recipient. */
export function sortRules(rules: Array<[Address, number]>): { recipients: Address[]; allocations: number[] } {
  const sorted = [...rules].sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
  return { recipients: sorted.map(([r]) => getAddress(r)), allocations: sorted.map(([, a]) => a) };
}

/** The rule-set id SplitMain computes: keccak256(abi.encode(version, recipients, allocations, feePpm)). */
export function ruleSetId(version: number, recipients: Address[], allocations: number[], feePpm: number): Hash {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint32" }, { type: "address[]" }, { type: "uint32[]" }, { type: "uint24" }],
      [version, recipients, allocations, feePpm],
    ),
  );
}

/** Splits `amount` like SplitMain: fee first, then each share rounded down, the rest is dust. */
export function expectedShares(amount: bigint, allocations: number[], feePpm = 0) {
  const fee = (amount * BigInt(feePpm)) / PPM;
  const net = amount - fee;
  const shares = allocations.map((a) => (net * BigInt(a)) / PPM);
  const credited = fee + shares.reduce((s, x) => s + x, 0n);
  return { fee, shares, credited, dust: amount - credited };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createdSplit(publicClient: any, splitMain: any, hash: Hash): Promise<Address> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const [log] = parseEventLogs({ abi: splitMain.abi, logs: receipt.logs, eventName: "SplitCreated" });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return getAddress((log as any).args.split);
}
