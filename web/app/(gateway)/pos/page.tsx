import type { Metadata } from "next";
import { PosApp } from "../../../components/gateway/pos-app.tsx";

export const metadata: Metadata = { title: "Point of sale · CoinPays" };

export default function PosPage() {
  return <PosApp />;
}
