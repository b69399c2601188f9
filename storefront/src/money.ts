import type { Money } from './api/types.js';

/** Digits after the decimal point of a currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** An amount in minor units as the reader's locale writes it: 1999 EUR → "€19.99". */
export function formatMoney({ amount, currency }: Money, locale?: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount / 10 ** minorUnitDigits(currency));
}

/**
 * What a person typed as a price ("12.5", "12,50", "7") in minor units, or
 * undefined when it is not a price. Parsed as text, never through floats, so
 * "0.29" is 29 and not 28.999….
 */
export function parseMoneyInput(text: string, currency: string): number | undefined {
  const digits = minorUnitDigits(currency);
  const match = /^(\d+)(?:[.,](\d*))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, whole = '', fraction = ''] = match;
  if (fraction.length > digits) return undefined;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** The inverse of parseMoneyInput, for a form's initial value: 1250 EUR → "12.50". */
export function moneyInputValue({ amount, currency }: Money): string {
  const digits = minorUnitDigits(currency);
  if (digits === 0) return String(amount);
  const text = String(amount).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
