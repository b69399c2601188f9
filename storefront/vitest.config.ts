import react from '@vitejs/plugin-react';
import { defineProject } from 'vitest/config';

/** Component tests (Testing Library in jsdom); the root vitest.config.ts lists this project. */
export default defineProject({
  plugins: [react()],
  resolve: { conditions: ['@shop/source'] },
  test: {
    name: 'storefront',
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
  },
});
