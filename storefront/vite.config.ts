import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The storefront is static files (`npm run build -w storefront` → dist/),
 * served from any origin the router's CORS_ORIGINS allows. The SDK is read
 * from its TypeScript sources (the "@shop/source" condition), so neither
 * development nor the build needs the SDK built first.
 */
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@shop/source'] },
  // Relative asset URLs: the build works from any path of any static host.
  base: './',
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  preview: { port: 4173, strictPort: true, host: '127.0.0.1' },
  build: { target: 'es2022', sourcemap: true },
});
