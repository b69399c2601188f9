/**
 * The API's shapes the storefront passes around, named once. All of them are
 * the SDK's generated types (never written by hand): picked out of the
 * operations' results so a component says which shape it takes.
 */
import type { OrderFieldsFragment, ProductFieldsFragment } from '@shop/sdk';

export type Product = ProductFieldsFragment;
export type Order = OrderFieldsFragment;
export type Money = Product['price'];
export type Payment = NonNullable<Order['payment']>;
export type { CancellationReason, OrderStatus, PaymentStatus } from '@shop/sdk';
