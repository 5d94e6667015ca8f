import type { Metadata } from "next";
import { LendingMarket } from "../../../../components/apps/lending-app.tsx";

export const metadata: Metadata = { title: "Lending market · CoinPays" };

export default async function LendingMarketPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <LendingMarket id={id} />;
}
