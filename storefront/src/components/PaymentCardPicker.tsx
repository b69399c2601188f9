import { TEST_CARDS, type TestCardToken } from '../checkout/payment-cards.js';

/** The simulator's test cards as a radio group: arrow keys move between them. */
export function PaymentCardPicker({ value, onChange }: { value: TestCardToken; onChange: (token: TestCardToken) => void }) {
  return (
    <fieldset className="card-picker">
      <legend>Pay with a test card</legend>
      {TEST_CARDS.map((card) => (
        <label key={card.token} className="card-option">
          <input type="radio" name="payment-card" value={card.token} checked={value === card.token} onChange={() => onChange(card.token)} />
          <span>
            <strong>{card.label}</strong> <span className="hint">{card.outcome}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
