import type { Meta, StoryObj } from '@storybook/react-vite';
import { CartLineRow } from './CartLineRow.js';

const line = { productId: '1', name: 'Black T-shirt (M)', unitPrice: { amount: 2500, currency: 'EUR' }, quantity: 2, stock: 60 };

const meta = {
  component: CartLineRow,
  args: { line, onQuantityChange: () => {}, onRemove: () => {} },
  decorators: [
    (Story) => (
      <table>
        <tbody>
          <Story />
        </tbody>
      </table>
    ),
  ],
} satisfies Meta<typeof CartLineRow>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Normal: Story = {};
export const AtStockLimit: Story = { args: { line: { ...line, quantity: 3, stock: 3 } } };
export const SingleUnit: Story = { args: { line: { ...line, quantity: 1 } } };
export const NowOutOfStock: Story = { args: { line: { ...line, quantity: 1, stock: 0 } } };
