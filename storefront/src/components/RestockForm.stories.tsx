import type { Meta, StoryObj } from '@storybook/react-vite';
import { RestockForm } from './RestockForm.js';

const meta = { component: RestockForm, args: { onSubmit: () => {} } } satisfies Meta<typeof RestockForm>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Ready: Story = {};
export const QuantityError: Story = { args: { problem: { kind: 'invalid', message: '', fields: { quantity: 'quantity must be 1 or more, got 0' } } } };
export const Restocking: Story = { args: { submitting: true } };
