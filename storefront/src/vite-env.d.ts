/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_SHOP_API_URL?: string;
}
