import { useState } from 'react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { TestCardToken } from '../checkout/payment-cards.js';
import { PaymentCardPicker } from './PaymentCardPicker.js';

const meta = { component: PaymentCardPicker, args: { value: 'tok_visa', onChange: () => {} } } satisfies Meta<typeof PaymentCardPicker>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Visa: Story = {};
export const Declining: Story = { args: { value: 'tok_chargeDeclined' } };
/** Arrow keys move the choice, as in any radio group. */
export const Interactive: Story = {
  render: function Render() {
    const [value, setValue] = useState<TestCardToken>('tok_visa');
    return <PaymentCardPicker value={value} onChange={setValue} />;
  },
};
