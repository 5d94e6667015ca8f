import assert from "node:assert/strict";
import { describe, it } from "node:test";
import QRCode from "qrcode";
import { buildPaymentUri, paymentQrPngDataUrl, paymentQrSvg, type PaymentRequest } from "../src/index.ts";

const request: PaymentRequest = {
  kind: "erc20",
  chainId: 31337,
  token: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  recipient: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  amount: 12_500_000n,
};

describe("payment QR codes", () => {
  it("draws the EIP-681 URI of buildPaymentUri as SVG, identical to the gateway's qr.svg rendering", async () => {
    const uri = buildPaymentUri(request);
    const svg = await paymentQrSvg(request);
    assert.match(svg, /^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // web/server/gateway/api.ts renders qr.svg with exactly these options.
    assert.equal(svg, await QRCode.toString(uri, { type: "svg", margin: 2, errorCorrectionLevel: "M" }));
    assert.equal(await paymentQrSvg(uri), svg, "a ready URI (an order's paymentUri) gives the same image");
    assert.notEqual(await paymentQrSvg({ ...request, amount: 12_500_001n }), svg);
  });

  it("draws a PNG data URL like the gateway's order response", async () => {
    const uri = buildPaymentUri(request);
    const png = await paymentQrPngDataUrl(request);
    assert.match(png, /^data:image\/png;base64,[A-Za-z0-9+/=]+$/);
    const bytes = Buffer.from(png.split(",")[1]!, "base64");
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(bytes.readUInt32BE(16), 320, "320 px wide");
    assert.equal(png, await QRCode.toDataURL(uri, { margin: 2, errorCorrectionLevel: "M", width: 320 }));
    assert.notEqual(await paymentQrPngDataUrl(request, { width: 200 }), png);
  });

  it("refuses an invalid payment request", async () => {
    await assert.rejects(paymentQrSvg({ ...request, amount: 0n }), { name: "PaymentUriError" });
  });
});
