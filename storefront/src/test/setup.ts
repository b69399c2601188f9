import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Each test starts with an empty document and empty storage (the cart and the session persist there).
afterEach(() => {
  cleanup();
  localStorage.clear();
});
