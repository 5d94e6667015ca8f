import type { Metadata } from "next";
import { RefundClaim } from "../../../../../components/gateway/refund-claim.tsx";

export const metadata: Metadata = { title: "Claim your refund · CoinPays", robots: { index: false }, referrer: "no-referrer" };

export default async function RefundClaimPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return <RefundClaim token={token} />;
}
