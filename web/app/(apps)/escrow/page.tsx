import type { Metadata } from "next";
import { EscrowApp } from "../../../components/apps/escrow-app.tsx";

export const metadata: Metadata = { title: "Escrow · CoinPays" };

export default function EscrowPage() {
  return <EscrowApp />;
}
