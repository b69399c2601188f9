export interface RunningStorefront {
  /** Where the storefront is served, e.g. http://127.0.0.1:5173/ */
  readonly url: string;
  stop(): Promise<void>;
}

/** Serves the storefront with Vite's development server, calling the router at `apiUrl`. */
export function startStorefrontDevServer(options: { host: string; port: number; apiUrl: string }): Promise<RunningStorefront>;
