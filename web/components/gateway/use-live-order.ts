"use client";

import { useEffect, useState } from "react";
import type { OrderSnapshot } from "./api-client.ts";

export type LiveState = "connecting" | "live" | "reconnecting";

/**
 * Subscribes to one order on the /ws hub (public, by its unguessable id) and returns its latest
 * snapshot; reconnects with backoff and re-subscribes (the hub answers with the current state, so a
 * change missed while disconnected is picked up).
 */
export function useLiveOrder(orderId: string | undefined): { snapshot?: OrderSnapshot; connection: LiveState } {
  const [snapshot, setSnapshot] = useState<OrderSnapshot>();
  const [connection, setConnection] = useState<LiveState>("connecting");

  useEffect(() => {
    if (!orderId) return;
    setSnapshot(undefined);
    let socket: WebSocket | undefined;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
      socket = new WebSocket(url);
      socket.onopen = () => socket?.send(JSON.stringify({ type: "subscribe", orderId }));
      socket.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as { type: string; order?: OrderSnapshot };
        if ((data.type === "subscribed" || data.type === "order.event") && data.order) {
          attempt = 0;
          setConnection("live");
          setSnapshot(data.order);
        }
      };
      socket.onclose = () => {
        if (closed) return;
        setConnection("reconnecting");
        timer = setTimeout(open, Math.min(10_000, 250 * 2 ** attempt++));
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, [orderId]);

  return { snapshot, connection };
}

/** Seconds until `iso`, ticking every second (never negative). */
export function useCountdown(iso: string | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!iso) return undefined;
  return Math.max(0, Math.floor((Date.parse(iso) - now) / 1000));
}

export function formatCountdown(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export const PAID_STATUSES = new Set(["settled", "overpaid", "paid_late"]);

export const STATUS_LABEL: Record<string, string> = {
  new: "Awaiting payment",
  processing: "Confirming",
  underpaid: "Partially paid",
  settled: "Paid",
  overpaid: "Paid (overpaid)",
  paid_late: "Paid late",
  expired: "Expired",
  cancelled: "Cancelled",
  refunded: "Refunded",
  partially_refunded: "Partially refunded",
  invalid: "Invalid",
};
