import type { Metadata } from "next";
import { LendingMarkets } from "../../../components/apps/lending-app.tsx";

export const metadata: Metadata = { title: "Lending · CoinPays" };

export default function LendingPage() {
  return <LendingMarkets />;
}
