import { OrderStatus } from '../order/order.model.js';
import { CancellationReason } from '../order/order.model.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** ISO-8601 timestamp in UTC, e.g. "2026-01-31T12:00:00.000Z" */
  DateTime: { input: Date; output: Date | string; }
  _FieldSet: { input: unknown; output: unknown; }
};

export { CancellationReason };

/** An amount of money in minor units (cents). */
export type Money = {
  __typename?: 'Money';
  amount: Scalars['Int']['output'];
  /** ISO-4217 code, upper case */
  currency: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** The owner or an admin, only while the order is PENDING. */
  cancelOrder: Order;
  /** Customer. Answers at once with the PENDING order; the checkout saga then confirms or cancels it. */
  placeOrder: Order;
};


export type MutationCancelOrderArgs = {
  id: Scalars['ID']['input'];
};


export type MutationPlaceOrderArgs = {
  input: PlaceOrderInput;
};

export type Order = {
  __typename?: 'Order';
  cancellationReason?: Maybe<CancellationReason>;
  createdAt: Scalars['DateTime']['output'];
  customerId: Scalars['ID']['output'];
  id: Scalars['ID']['output'];
  items: Array<OrderItem>;
  status: OrderStatus;
  total: Money;
  updatedAt: Scalars['DateTime']['output'];
};

export type OrderConnection = {
  __typename?: 'OrderConnection';
  edges: Array<OrderEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type OrderEdge = {
  __typename?: 'OrderEdge';
  cursor: Scalars['String']['output'];
  node: Order;
};

export type OrderItem = {
  __typename?: 'OrderItem';
  lineTotal: Money;
  product: Product;
  quantity: Scalars['Int']['output'];
  /** Price when the order was placed */
  unitPrice: Money;
};

export type OrderItemInput = {
  productId: Scalars['ID']['input'];
  quantity: Scalars['Int']['input'];
};

export { OrderStatus };

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type PlaceOrderInput = {
  /** 1..255 characters, unique per customer: placing the same key again returns the same order */
  idempotencyKey: Scalars['String']['input'];
  items: Array<OrderItemInput>;
  /** See the payment tokens of the simulated provider (tok_visa, tok_chargeDeclined, ...) */
  paymentToken: Scalars['String']['input'];
};

export type Product = {
  __typename?: 'Product';
  id: Scalars['ID']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** The owner or an admin sees the order; anyone else gets null. */
  order?: Maybe<Order>;
  /** Newest first. Customers see their own orders, admins all. */
  orders: OrderConnection;
};


export type QueryOrderArgs = {
  id: Scalars['ID']['input'];
};


export type QueryOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<OrderStatus>;
};

export type Subscription = {
  __typename?: 'Subscription';
  /**
   * The order's current state at once, then again each time its status changes;
   * completes after CONFIRMED or CANCELLED (an order already final answers once).
   * The owner or an admin only. Served by the router from the order events
   * (GraphQL over WebSocket, graphql-ws protocol, or over SSE), which resolves
   * each update as the query order(id), so every federated field is available.
   */
  orderStatusChanged: Order;
};


export type SubscriptionOrderStatusChangedArgs = {
  id: Scalars['ID']['input'];
};
