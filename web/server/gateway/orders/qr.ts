// The payment QR code of an order (its EIP-681 URI) as SVG and PNG. An order's URI never changes
// (chain, token, deposit address and amount are fixed at creation), so each image is rendered at most
// once per process (PNG costs ~9 ms of CPU, SVG ~0.8 ms), cached in memory, and served with a strong
// ETag and a long public cache lifetime. Creating an order renders nothing: its response links here.
import { LRUCache } from "lru-cache";
import QRCode from "qrcode";
import { sha256Hex } from "../crypto.ts";

export type QrFormat = "svg" | "png";

/** Same settings as @coinpays/sdk's paymentQrSvg / paymentQrPngDataUrl, so both draw the same image. */
const QR_OPTIONS = { margin: 2, errorCorrectionLevel: "M" } as const;
const PNG_WIDTH = 320;
/** Changes whenever the rendering does, so clients holding an old ETag get the new image. */
const RENDERING_VERSION = "qr1";

export const QR_CONTENT_TYPE: Record<QrFormat, string> = { svg: "image/svg+xml", png: "image/png" };
/** An order's image is immutable: caches may keep it for a day without asking again. */
export const QR_CACHE_CONTROL = "public, max-age=86400, immutable";

export function qrEtag(format: QrFormat, paymentUri: string): string {
  return `"${sha256Hex(`${RENDERING_VERSION}\n${format}\n${paymentUri}`).slice(0, 32)}"`;
}

/** True when an If-None-Match header already names this ETag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}

export function createQrRenderer({ maxEntries = 1_000 }: { maxEntries?: number } = {}) {
  // Promises, so concurrent first requests for one image share a single rendering.
  const cache = new LRUCache<string, Promise<Uint8Array<ArrayBuffer>>>({ max: maxEntries });

  async function draw(format: QrFormat, paymentUri: string): Promise<Uint8Array<ArrayBuffer>> {
    if (format === "svg") return new TextEncoder().encode(await QRCode.toString(paymentUri, { type: "svg", ...QR_OPTIONS }));
    return new Uint8Array(await QRCode.toBuffer(paymentUri, { type: "png", ...QR_OPTIONS, width: PNG_WIDTH }));
  }

  return {
    render(format: QrFormat, paymentUri: string): Promise<Uint8Array<ArrayBuffer>> {
      const key = `${format}\n${paymentUri}`;
      let image = cache.get(key);
      if (!image) {
        image = draw(format, paymentUri);
        cache.set(key, image);
        image.catch(() => cache.delete(key));
      }
      return image;
    },
  };
}
export type QrRenderer = ReturnType<typeof createQrRenderer>;
