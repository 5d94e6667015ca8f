/**
 * Payment QR codes: the EIP-681 URI of `buildPaymentUri`, drawn by `qrcode` with the gateway's
 * settings (margin 2, error correction M, 320 px PNG), so they match /api/v1/orders/{id}/qr.svg|png.
 */
import QRCode from "qrcode";
import { buildPaymentUri, type PaymentRequest } from "./eip681.ts";

export type QrOptions = { margin?: number; errorCorrectionLevel?: "L" | "M" | "Q" | "H"; width?: number };

const uriOf = (requestOrUri: PaymentRequest | string) => (typeof requestOrUri === "string" ? requestOrUri : buildPaymentUri(requestOrUri));

/** An SVG document of the payment QR code. Takes a PaymentRequest or a ready URI (an order's `paymentUri`). */
export async function paymentQrSvg(requestOrUri: PaymentRequest | string, options: QrOptions = {}): Promise<string> {
  return QRCode.toString(uriOf(requestOrUri), {
    type: "svg",
    margin: options.margin ?? 2,
    errorCorrectionLevel: options.errorCorrectionLevel ?? "M",
    ...(options.width !== undefined ? { width: options.width } : {}),
  });
}

/** A `data:image/png;base64,…` URL of the payment QR code, for an <img src>. */
export async function paymentQrPngDataUrl(requestOrUri: PaymentRequest | string, options: QrOptions = {}): Promise<string> {
  return QRCode.toDataURL(uriOf(requestOrUri), {
    margin: options.margin ?? 2,
    errorCorrectionLevel: options.errorCorrectionLevel ?? "M",
    width: options.width ?? 320,
  });
}
