export { AmountError, formatAmount, parseAmount } from "./amounts.ts";
export { buildPaymentUri, parsePaymentUri, PaymentUriError, type PaymentRequest } from "./eip681.ts";
