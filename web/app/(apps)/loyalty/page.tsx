import type { Metadata } from "next";
import { LoyaltyApp } from "../../../components/apps/loyalty-app.tsx";

export const metadata: Metadata = { title: "Loyalty · CoinPays" };

export default function LoyaltyPage() {
  return <LoyaltyApp />;
}
