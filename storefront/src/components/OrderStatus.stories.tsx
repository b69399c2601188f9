import type { Meta, StoryObj } from '@storybook/react-vite';
import { OrderStatus } from './OrderStatus.js';

const payment = { id: 'p1', status: 'SUCCEEDED', failureReason: null, attempts: 1, createdAt: '', updatedAt: '', amount: { amount: 5300, currency: 'EUR' } } as const;
const order = { id: '1042', status: 'PENDING', cancellationReason: null, total: { amount: 5300, currency: 'EUR' }, payment: null } as const;

const meta = { component: OrderStatus, args: { order } } satisfies Meta<typeof OrderStatus>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Pending: Story = {};
export const Confirmed: Story = { args: { order: { ...order, status: 'CONFIRMED', payment } } };
export const ConfirmedAfterRetries: Story = { args: { order: { ...order, status: 'CONFIRMED', payment: { ...payment, attempts: 3 } } } };
export const Declined: Story = {
  args: { order: { ...order, status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED', payment: { ...payment, status: 'FAILED', failureReason: 'card_declined' } } },
};
export const OutOfStock: Story = { args: { order: { ...order, status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' } } };
export const PaymentUnavailable: Story = { args: { order: { ...order, status: 'CONFIRMED' }, paymentUnavailable: true } };
