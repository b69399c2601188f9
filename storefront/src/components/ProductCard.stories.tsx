import type { Meta, StoryObj } from '@storybook/react-vite';
import { ProductCard } from './ProductCard.js';

const product = { id: '1', sku: 'MUG-001', name: 'Enamel camp mug', description: 'Keeps coffee hot by the fire. 350 ml.', price: { amount: 1400, currency: 'EUR' }, stock: 120 };

const meta = { component: ProductCard, args: { product, inCart: 0, onAdd: () => {} } } satisfies Meta<typeof ProductCard>;
export default meta;
type Story = StoryObj<typeof meta>;

export const InStock: Story = {};
export const FewLeft: Story = { args: { product: { ...product, stock: 3 } } };
export const InCart: Story = { args: { inCart: 2 } };
export const AllInCart: Story = { args: { product: { ...product, stock: 2 }, inCart: 2 } };
export const SoldOut: Story = { args: { product: { ...product, stock: 0 } } };
export const OtherCurrency: Story = { args: { product: { ...product, price: { amount: 1500, currency: 'JPY' } } } };
