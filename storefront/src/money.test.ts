import { describe, expect, it } from 'vitest';
import { formatMoney, moneyInputValue, parseMoneyInput } from './money.js';

describe('money', () => {
  it('formats minor units for their currency', () => {
    expect(formatMoney({ amount: 1999, currency: 'EUR' }, 'en-US')).toBe('€19.99');
    expect(formatMoney({ amount: 1999, currency: 'EUR' }, 'de-DE')).toBe('19,99\u00a0€');
    expect(formatMoney({ amount: 500, currency: 'JPY' }, 'en-US')).toBe('¥500');
  });

  it('parses a typed price as text, never through floats', () => {
    expect(parseMoneyInput('0.29', 'EUR')).toBe(29);
    expect(parseMoneyInput('12,5', 'EUR')).toBe(1250);
    expect(parseMoneyInput(' 7 ', 'EUR')).toBe(700);
    expect(parseMoneyInput('500', 'JPY')).toBe(500);
  });

  it('refuses what is not a price in that currency', () => {
    expect(parseMoneyInput('1.234', 'EUR')).toBeUndefined();
    expect(parseMoneyInput('-3', 'EUR')).toBeUndefined();
    expect(parseMoneyInput('abc', 'EUR')).toBeUndefined();
    expect(parseMoneyInput('5.5', 'JPY')).toBeUndefined();
  });

  it('writes minor units back as a form value', () => {
    expect(moneyInputValue({ amount: 1250, currency: 'EUR' })).toBe('12.50');
    expect(moneyInputValue({ amount: 5, currency: 'EUR' })).toBe('0.05');
    expect(moneyInputValue({ amount: 500, currency: 'JPY' })).toBe('500');
  });
});
