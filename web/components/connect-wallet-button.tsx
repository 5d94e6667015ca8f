"use client";

import { useEffect, useRef, useState } from "react";
import { useAccount, useChainId, useConnect, useDisconnect, useSwitchChain } from "wagmi";

function hasLegacyInjectedProvider(): boolean {
  return typeof window !== "undefined" && "ethereum" in window && Boolean((window as { ethereum?: unknown }).ethereum);
}

function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

export function ConnectWalletButton() {
  const { address, status, chainId: walletChainId } = useAccount();
  const configuredChainId = useChainId();
  const { connectors, connect, isPending, error } = useConnect();
  const { disconnect } = useDisconnect();
  const { switchChain, isPending: isSwitching } = useSwitchChain();
  const [menuOpen, setMenuOpen] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!menuOpen) return;
    const closeOnOutsideClick = (event: MouseEvent) => {
      if (!menuRef.current?.contains(event.target as Node)) setMenuOpen(false);
    };
    document.addEventListener("mousedown", closeOnOutsideClick);
    return () => document.removeEventListener("mousedown", closeOnOutsideClick);
  }, [menuOpen]);

  const buttonClass =
    "inline-flex items-center gap-2 rounded-full px-4 py-2 text-sm font-semibold shadow-sm transition focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:ring-offset-2";

  if (status === "connected" && address) {
    const onWrongChain = walletChainId !== configuredChainId;
    return (
      <div className="flex items-center gap-2">
        {onWrongChain && (
          <button
            type="button"
            onClick={() => switchChain({ chainId: configuredChainId })}
            disabled={isSwitching}
            className={`${buttonClass} bg-amber-100 text-amber-900 hover:bg-amber-200`}
          >
            {isSwitching ? "Switching…" : `Switch to chain ${configuredChainId}`}
          </button>
        )}
        <button
          type="button"
          onClick={() => disconnect()}
          title="Disconnect"
          className={`${buttonClass} bg-slate-900 text-white hover:bg-slate-700`}
        >
          <span className="size-2 rounded-full bg-brand-500" aria-hidden />
          <span className="font-mono" data-testid="connected-address" data-address={address}>
            {shortAddress(address)}
          </span>
        </button>
      </div>
    );
  }

  // EIP-6963 wallets announce themselves after hydration, each as its own connector. The generic
  // `injected` connector is only a fallback for older wallets that just set window.ethereum.
  const announcedWallets = connectors.filter((connector) => connector.type === "injected" && connector.id !== "injected");
  const legacyWallet = connectors.find((connector) => connector.id === "injected");
  const choices =
    announcedWallets.length > 0 ? announcedWallets : legacyWallet && hasLegacyInjectedProvider() ? [legacyWallet] : [];

  return (
    <div className="relative" ref={menuRef}>
      <button
        type="button"
        onClick={() => setMenuOpen((open) => !open)}
        disabled={isPending || status === "reconnecting"}
        aria-haspopup="menu"
        aria-expanded={menuOpen}
        className={`${buttonClass} bg-brand-600 text-white hover:bg-brand-700 disabled:opacity-60`}
      >
        {isPending ? "Connecting…" : "Connect wallet"}
      </button>
      {menuOpen && (
        <div
          role="menu"
          className="absolute right-0 z-20 mt-2 w-64 rounded-2xl border border-slate-200 bg-white p-2 text-sm shadow-xl"
        >
          {choices.length === 0 ? (
            <p className="px-3 py-2 text-slate-600">
              No browser wallet found. Install one (MetaMask, Rabby, …) and reload.
            </p>
          ) : (
            choices.map((connector) => (
              <button
                key={connector.uid}
                type="button"
                role="menuitem"
                onClick={() => {
                  setMenuOpen(false);
                  connect({ connector, chainId: configuredChainId });
                }}
                className="flex w-full items-center gap-3 rounded-xl px-3 py-2 text-left hover:bg-slate-100"
              >
                {connector.icon ? (
                  // EIP-6963 icons are data: URIs supplied by the wallet itself, never fetched.
                  // eslint-disable-next-line @next/next/no-img-element
                  <img src={connector.icon} alt="" className="size-6 rounded" />
                ) : (
                  <span className="size-6 rounded bg-slate-200" aria-hidden />
                )}
                <span className="font-medium text-slate-800">
                  {connector.id === "injected" ? "Browser wallet" : connector.name}
                </span>
              </button>
            ))
          )}
          {error && <p className="px-3 py-2 text-xs text-red-600">{error.message.split("\n")[0]}</p>}
        </div>
      )}
    </div>
  );
}
