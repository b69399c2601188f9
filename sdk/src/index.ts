export { createClient, ShopApiError, type ClientOptions, type ExecutionResult, type ShopClient } from './client.js';
export * from './__generated__/graphql.js';
