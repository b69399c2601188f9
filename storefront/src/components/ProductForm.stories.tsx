import type { Meta, StoryObj } from '@storybook/react-vite';
import { ProductForm } from './ProductForm.js';

const product = {
  id: '1', sku: 'MUG-001', name: 'Enamel camp mug', description: 'Keeps coffee hot.', price: { amount: 1400, currency: 'EUR' },
  stock: 120, active: true, createdAt: '', updatedAt: '',
};

const meta = { component: ProductForm } satisfies Meta<typeof ProductForm>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Create: Story = { args: { mode: 'create', onSubmit: () => {} } };
export const CreateWithFieldErrors: Story = {
  args: {
    mode: 'create',
    onSubmit: () => {},
    problem: {
      kind: 'invalid',
      message: '',
      fields: {
        'input.price.currency': 'input.price.currency must be an upper-case ISO-4217 code such as "EUR", got "eur"',
        'input.stock': 'input.stock must be 0 or more, got -1',
      },
    },
  },
};
export const DuplicateSku: Story = { args: { mode: 'create', onSubmit: () => {}, problem: { kind: 'conflict', message: 'A product with sku "MUG-001" already exists' } } };
export const Edit: Story = { args: { mode: 'edit', product, onSubmit: () => {} } };
export const Saving: Story = { args: { mode: 'edit', product, onSubmit: () => {}, submitting: true } };
