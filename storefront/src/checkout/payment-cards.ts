/** The card provider simulator's test tokens (API.md, "Payment tokens"), in plain words. */
export const TEST_CARDS = [
  { token: 'tok_visa', label: 'Visa ending 4242', outcome: 'Pays at once.' },
  { token: 'tok_processingError', label: 'Visa with a flaky bank', outcome: 'Fails twice at the bank, then pays: charged exactly once.' },
  { token: 'tok_chargeDeclined', label: 'Mastercard that is declined', outcome: 'The bank declines the charge.' },
  { token: 'tok_insufficientFunds', label: 'Debit card without funds', outcome: 'Declined for insufficient funds.' },
] as const;

export type TestCardToken = (typeof TEST_CARDS)[number]['token'];

/** What a decline code of the provider means for the shopper. */
export function explainPaymentFailure(code: string | null): string {
  switch (code) {
    case 'card_declined':
      return 'Your bank declined the card.';
    case 'insufficient_funds':
      return 'The card has insufficient funds.';
    case 'invalid_token':
      return 'The card details were not accepted.';
    default:
      return code ? `The payment failed (${code}).` : 'The payment failed.';
  }
}
