import { useState, type FormEvent } from 'react';
import type { Problem } from '../api/errors.js';
import { ErrorNotice } from './ErrorNotice.js';
import { Field } from './Field.js';

/** Adds units to a product's stock; the API's error on `quantity` appears next to it. */
export function RestockForm({ onSubmit, problem, submitting = false }: { onSubmit: (quantity: number) => void; problem?: Problem | undefined; submitting?: boolean }) {
  const [quantity, setQuantity] = useState('10');
  const fieldError = problem?.kind === 'invalid' ? problem.fields['quantity'] : undefined;
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit(Number(quantity));
  }
  return (
    <form className="form form-inline" onSubmit={submit} noValidate aria-label="Restock">
      {problem && !fieldError ? <ErrorNotice problem={problem} /> : null}
      <Field label="Units to add" name="quantity" type="number" inputMode="numeric" value={quantity} onChange={(event) => setQuantity(event.currentTarget.value)} error={fieldError} />
      <button type="submit" disabled={submitting}>
        {submitting ? 'Restocking…' : 'Restock'}
      </button>
    </form>
  );
}
