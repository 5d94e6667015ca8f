import type { Metadata } from "next";
import { SplitsApp } from "../../../components/apps/splits-app.tsx";

export const metadata: Metadata = { title: "Revenue splits · CoinPays" };

export default function SplitsPage() {
  return <SplitsApp />;
}
