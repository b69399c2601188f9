import type { Preview } from '@storybook/react-vite';
import '../src/styles.css';

const preview: Preview = {
  decorators: [
    (Story) => (
      <main style={{ maxWidth: '40rem' }}>
        <Story />
      </main>
    ),
  ],
};

export default preview;
