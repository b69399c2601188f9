import type { Meta, StoryObj } from '@storybook/react-vite';
import { ErrorNotice } from './ErrorNotice.js';

const meta = { component: ErrorNotice, args: { onRetry: () => {} } } satisfies Meta<typeof ErrorNotice>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Unreachable: Story = { args: { problem: { kind: 'unreachable', message: 'The shop cannot be reached at http://127.0.0.1:4000/graphql. Check your connection, or that the shop is running (npm start), and try again.' } } };
export const SessionExpired: Story = { args: { problem: { kind: 'unauthenticated', message: 'Your sign-in has expired or is no longer valid. Please sign in again.' } } };
export const SubgraphUnavailable: Story = { args: { problem: { kind: 'unavailable', message: 'Part of the shop is unavailable right now. Please try again in a moment.' } } };
export const Forbidden: Story = { args: { problem: { kind: 'forbidden', message: 'Your account is not allowed to do this.' }, onRetry: undefined } };
