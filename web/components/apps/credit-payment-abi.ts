import { coinPaysLendingAbi, creditPaymentAbi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import type { Abi } from "viem";

/**
 * The ABI to call CreditPayment with: its own, plus the custom errors of the lending contract and the router it
 * calls, which bubble up unchanged (InsufficientCollateral, OracleUnavailable, …). With CreditPayment's ABI
 * alone a refused credit payment reads as an undecodable selector instead of the reason.
 */
export const creditPaymentCallAbi = [
  ...creditPaymentAbi,
  ...coinPaysLendingAbi.filter((item) => item.type === "error"),
  ...paymentRouterAbi.filter((item) => item.type === "error"),
] as Abi;
