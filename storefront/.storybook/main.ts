import type { StorybookConfig } from '@storybook/react-vite';

/** Every component with meaningful states has stories beside it (`*.stories.tsx`); `npm run build-storybook -w storefront` builds them (CI does). */
const config: StorybookConfig = {
  stories: ['../src/**/*.stories.tsx'],
  framework: { name: '@storybook/react-vite', options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
};

export default config;
