import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildPaymentUri, parsePaymentUri, PaymentUriError } from "../src/eip681.ts";

const token = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const recipient = "0xF9AB159Ce3FaB22f1eCE01F6A59C59Eb0B677CBb";

describe("buildPaymentUri", () => {
  it("builds an ERC-20 transfer request with the amount in base units", () => {
    assert.equal(
      buildPaymentUri({ kind: "erc20", chainId: 31337, token, recipient, amount: 12_500_000n }),
      `ethereum:${token}@31337/transfer?address=${recipient}&uint256=12500000`,
    );
  });

  it("builds a native request", () => {
    assert.equal(
      buildPaymentUri({ kind: "native", chainId: 1, recipient, amount: 50_000_000_000_000_000n }),
      `ethereum:${recipient}@1?value=50000000000000000`,
    );
  });

  it("checksums lower-case addresses", () => {
    const uri = buildPaymentUri({ kind: "erc20", chainId: 8453, token: token.toLowerCase() as `0x${string}`, recipient: recipient.toLowerCase() as `0x${string}`, amount: 1n });
    assert.ok(uri.includes(token) && uri.includes(recipient));
  });

  it("rejects zero amounts, bad chains and bad addresses", () => {
    assert.throws(() => buildPaymentUri({ kind: "native", chainId: 1, recipient, amount: 0n }), PaymentUriError);
    assert.throws(() => buildPaymentUri({ kind: "native", chainId: 0, recipient, amount: 1n }), PaymentUriError);
    assert.throws(() => buildPaymentUri({ kind: "native", chainId: 1, recipient: "0x1234" as `0x${string}`, amount: 1n }), PaymentUriError);
  });
});

describe("parsePaymentUri", () => {
  it("round-trips what buildPaymentUri writes", () => {
    const requests = [
      { kind: "erc20", chainId: 31337, token, recipient, amount: 123n },
      { kind: "native", chainId: 10, recipient, amount: 10n ** 30n },
    ] as const;
    for (const request of requests) assert.deepEqual(parsePaymentUri(buildPaymentUri(request)), request);
  });

  it("accepts exponent notation that denotes whole base units", () => {
    assert.equal(parsePaymentUri(`ethereum:${recipient}@1?value=2.014e18`).amount, 2_014_000_000_000_000_000n);
    assert.equal(parsePaymentUri(`ethereum:${token}@1/transfer?address=${recipient}&uint256=1e6`).amount, 1_000_000n);
  });

  it("rejects requests that would pay the wrong amount or on an unknown chain", () => {
    for (const bad of [
      `ethereum:${recipient}?value=1`,
      `ethereum:${recipient}@1?value=1.5`,
      `ethereum:${recipient}@1?value=0`,
      `ethereum:${recipient}@1?value=-1`,
      `ethereum:${recipient}@1`,
      `ethereum:${token}@1/approve?address=${recipient}&uint256=1`,
      `ethereum:${token}@1/transfer?uint256=1`,
      `ethereum:${token}@1/transfer?address=0x12&uint256=1`,
      `bitcoin:${recipient}`,
      "ethereum:",
    ]) {
      assert.throws(() => parsePaymentUri(bad), PaymentUriError, bad);
    }
  });
});
