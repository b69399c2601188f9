import { useId } from 'react';

/** A quantity between 1 and `max`, typed or stepped (arrow keys and the − / + buttons). */
export function QuantityInput({ value, max, onChange, label }: { value: number; max: number; onChange: (quantity: number) => void; label: string }) {
  const id = useId();
  return (
    <div className="quantity">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <button type="button" onClick={() => onChange(value - 1)} disabled={value <= 1} aria-label={`One less: ${label}`}>
        −
      </button>
      <input id={id} type="number" inputMode="numeric" min={1} max={max} value={value} onChange={(event) => onChange(event.currentTarget.valueAsNumber)} />
      <button type="button" onClick={() => onChange(value + 1)} disabled={value >= max} aria-label={`One more: ${label}`}>
        +
      </button>
    </div>
  );
}
