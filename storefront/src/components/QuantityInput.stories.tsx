import { useState } from 'react';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { QuantityInput } from './QuantityInput.js';

const meta = { component: QuantityInput, args: { value: 2, max: 5, label: 'Quantity of Mug', onChange: () => {} } } satisfies Meta<typeof QuantityInput>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Middle: Story = {};
export const AtOne: Story = { args: { value: 1 } };
export const AtStock: Story = { args: { value: 5 } };
export const Interactive: Story = {
  render: function Render(args) {
    const [value, setValue] = useState(2);
    return <QuantityInput {...args} value={value} onChange={(next) => setValue(Math.min(Math.max(next, 1), args.max))} />;
  },
};
