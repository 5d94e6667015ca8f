export const APPS = [
  { href: "/escrow", label: "Escrow" },
  { href: "/splits", label: "Splits" },
  { href: "/subscriptions", label: "Subscriptions" },
  { href: "/loyalty", label: "Loyalty" },
  { href: "/lending", label: "Lending" },
] as const;
