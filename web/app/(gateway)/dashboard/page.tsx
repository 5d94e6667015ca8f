import type { Metadata } from "next";
import { Dashboard } from "../../../components/gateway/dashboard.tsx";

export const metadata: Metadata = { title: "Dashboard · CoinPays" };

export default function DashboardPage() {
  return <Dashboard />;
}
