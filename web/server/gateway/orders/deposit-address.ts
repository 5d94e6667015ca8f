// Per-order deposit addresses, computed off-chain exactly as DepositAddressFactory.predict does:
//
//   salt     = keccak256(abi.encode(destination, orderRef))
//   initcode = OpenZeppelin Clones' clone-with-immutable-args code for `implementation`, with the
//              20-byte destination appended as its immutable argument
//   address  = CREATE2(factory, salt, keccak256(initcode))
//
// `implementation` is the DepositAddress the factory creates in its constructor: its first CREATE,
// so the address follows from the factory's address and contract nonce 1 (EIP-161 starts contract
// nonces at 1). No RPC call is needed to create an order, so order creation neither waits for nor
// depends on the chain; test/gateway/deposit-address.test.ts checks both formulas against the
// deployed contract's `implementation()` and `predict()` on a local chain.
import { concat, encodeAbiParameters, getAddress, getContractAddress, keccak256, numberToHex, stringToHex, type Address, type Hex } from "viem";

const CLONE_PREFIX = "0x3d81600a3d39f3363d3d373d3d3d363d73";
const CLONE_SUFFIX = "0x5af43d82803e903d91602b57fd5bf3";

/** The bytes32 on-chain reference of an order: keccak256 of its id (router orderRef, deposit salt). */
export function orderRefOf(orderId: string): Hex {
  return keccak256(stringToHex(orderId));
}

export function depositImplementationOf(factory: Address): Address {
  return getContractAddress({ opcode: "CREATE", from: factory, nonce: 1n });
}

/**
 * keccak256 of the clone's init code, which depends only on the factory (through its implementation)
 * and the destination: the same for every order of a merchant, so it is computed once per pair.
 * (Each keccak in JavaScript costs tens of microseconds; an order creation needed five.)
 */
const initCodeHashes = new Map<string, Hex>();
const MAX_CACHED_INIT_CODE_HASHES = 10_000;

function initCodeHashOf(factory: Address, implementation: Address | undefined, destination: Address): Hex {
  const key = `${factory}:${implementation ?? ""}:${destination}`;
  let hash = initCodeHashes.get(key);
  if (!hash) {
    const args = destination; // abi.encodePacked(destination): 20 bytes
    const initCode = concat(["0x61", numberToHex(20 + 0x2d, { size: 2 }), CLONE_PREFIX, implementation ?? depositImplementationOf(factory), CLONE_SUFFIX, args]);
    hash = keccak256(initCode);
    if (initCodeHashes.size >= MAX_CACHED_INIT_CODE_HASHES) initCodeHashes.clear();
    initCodeHashes.set(key, hash);
  }
  return hash;
}

export function predictDepositAddress(input: { factory: Address; implementation?: Address; destination: Address; orderRef: Hex }): Address {
  const destination = getAddress(input.destination);
  const salt = keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [destination, input.orderRef]));
  return getContractAddress({ opcode: "CREATE2", from: input.factory, salt, bytecodeHash: initCodeHashOf(input.factory, input.implementation, destination) });
}
