import type { Metadata } from "next";
import { AnalyticsDashboard } from "../../../../components/gateway/analytics/analytics-dashboard.tsx";

export const metadata: Metadata = { title: "Analytics · CoinPays" };

export default async function AnalyticsPage({ searchParams }: { searchParams: Promise<{ merchant?: string | string[] }> }) {
  const { merchant } = await searchParams;
  return <AnalyticsDashboard initialMerchantId={typeof merchant === "string" ? merchant : undefined} />;
}
