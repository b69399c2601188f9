import { useState, type FormEvent } from 'react';
import type { CreateProductInput, UpdateProductInput } from '@shop/sdk';
import type { Problem } from '../api/errors.js';
import type { Product } from '../api/types.js';
import { moneyInputValue, parseMoneyInput } from '../money.js';
import { ErrorNotice } from './ErrorNotice.js';
import { Field } from './Field.js';

type Values = { sku: string; name: string; description: string; price: string; currency: string; stock: string; active: boolean };

export type ProductFormProps =
  | { mode: 'create'; product?: undefined; onSubmit: (input: CreateProductInput) => void; problem?: Problem | undefined; submitting?: boolean }
  | { mode: 'edit'; product: Product; onSubmit: (input: UpdateProductInput) => void; problem?: Problem | undefined; submitting?: boolean };

/** Which form field an API error's `extensions.field` (an argument path) belongs to. */
const FIELD_OF_ARGUMENT: Record<string, keyof Values> = {
  'input.sku': 'sku',
  'input.name': 'name',
  'input.description': 'description',
  'input.price.amount': 'price',
  'input.price.currency': 'currency',
  'input.price': 'price',
  'input.stock': 'stock',
};

/** Errors by form field: the API's (by `extensions.field`) and this form's own. */
function fieldErrors(problem: Problem | undefined, local: Partial<Record<keyof Values, string>>): Partial<Record<keyof Values, string>> {
  const errors: Partial<Record<keyof Values, string>> = { ...local };
  if (problem?.kind === 'invalid') {
    for (const [argument, message] of Object.entries(problem.fields)) {
      const field = FIELD_OF_ARGUMENT[argument];
      if (field) errors[field] = message;
    }
  }
  // A duplicate SKU comes back as CONFLICT with no field; it can only be the SKU.
  if (problem?.kind === 'conflict' && /sku/i.test(problem.message)) errors.sku = problem.message;
  return errors;
}

/**
 * Creates a product, or edits one (name, description, price, whether it is
 * on sale). The API validates; its errors appear next to the field they name.
 */
export function ProductForm(props: ProductFormProps) {
  const { mode, product, problem, submitting = false } = props;
  const [values, setValues] = useState<Values>(() => ({
    sku: product?.sku ?? '',
    name: product?.name ?? '',
    description: product?.description ?? '',
    price: product ? moneyInputValue(product.price) : '',
    currency: product?.price.currency ?? 'EUR',
    stock: '0',
    active: product?.active ?? true,
  }));
  const [local, setLocal] = useState<Partial<Record<keyof Values, string>>>({});
  const errors = fieldErrors(problem, local);
  const set = (key: keyof Values) => (event: { currentTarget: HTMLInputElement }) => {
    const { type, checked, value } = event.currentTarget;
    setValues((current) => ({ ...current, [key]: type === 'checkbox' ? checked : value }));
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    // The one check the API cannot do: turning "12.50" into minor units needs a well-formed number first.
    const amount = parseMoneyInput(values.price, values.currency.trim() || 'EUR');
    if (amount === undefined) {
      setLocal({ price: `Enter a price such as 12.50 (got "${values.price}")` });
      return;
    }
    setLocal({});
    const price = { amount, currency: values.currency.trim() };
    if (props.mode === 'create') {
      props.onSubmit({ sku: values.sku, name: values.name, description: values.description, price, stock: Number(values.stock) });
    } else {
      props.onSubmit({ name: values.name, description: values.description, price, active: values.active });
    }
  }

  const unplaced = problem && !(problem.kind === 'invalid' && Object.keys(problem.fields).some((field) => field in FIELD_OF_ARGUMENT)) && !errors.sku;
  return (
    <form className="form" onSubmit={submit} noValidate aria-label={mode === 'create' ? 'New product' : `Edit ${product?.name ?? 'product'}`}>
      {unplaced ? <ErrorNotice problem={problem} /> : null}
      {mode === 'create' ? <Field label="SKU" name="sku" value={values.sku} onChange={set('sku')} error={errors.sku} required autoComplete="off" /> : null}
      <Field label="Name" name="name" value={values.name} onChange={set('name')} error={errors.name} required />
      <Field label="Description" name="description" value={values.description} onChange={set('description')} error={errors.description} />
      <div className="field-row">
        <Field label="Price" name="price" inputMode="decimal" value={values.price} onChange={set('price')} error={errors.price} hint="e.g. 12.50" required />
        <Field label="Currency" name="currency" value={values.currency} onChange={set('currency')} error={errors.currency} hint="ISO code, e.g. EUR" maxLength={3} required />
      </div>
      {mode === 'create' ? <Field label="Initial stock" name="stock" type="number" inputMode="numeric" value={values.stock} onChange={set('stock')} error={errors.stock} /> : null}
      {mode === 'edit' ? (
        <label className="checkbox">
          <input type="checkbox" checked={values.active} onChange={set('active')} /> On sale (an archived product leaves the catalog)
        </label>
      ) : null}
      <button type="submit" disabled={submitting}>
        {submitting ? 'Saving…' : mode === 'create' ? 'Create product' : 'Save changes'}
      </button>
    </form>
  );
}
