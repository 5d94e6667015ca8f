import type { Metadata } from "next";
import { SubscriptionsApp } from "../../../components/apps/subscriptions-app.tsx";

export const metadata: Metadata = { title: "Subscriptions · CoinPays" };

export default async function SubscriptionsPage({ searchParams }: { searchParams: Promise<{ plan?: string }> }) {
  const { plan } = await searchParams;
  return <SubscriptionsApp initialPlan={plan && /^\d+$/.test(plan) ? plan : undefined} />;
}
