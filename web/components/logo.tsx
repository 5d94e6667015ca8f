export function Logo({ className = "" }: { className?: string }) {
  return (
    <span className={`inline-flex items-center gap-2 font-semibold tracking-tight ${className}`}>
      <svg viewBox="0 0 32 32" className="size-7" aria-hidden>
        <circle cx="16" cy="16" r="15" className="fill-brand-600" />
        <path d="M20.5 11.2a6.5 6.5 0 1 0 0 9.6" fill="none" stroke="white" strokeWidth="3" strokeLinecap="round" />
        <circle cx="21.6" cy="16" r="1.8" fill="white" />
      </svg>
      CoinPays
    </span>
  );
}
