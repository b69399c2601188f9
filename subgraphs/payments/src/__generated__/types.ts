import { PaymentStatus } from '../payment/payment.model.js';
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

/** An amount of money in minor units (cents). */
export type Money = {
  __typename?: 'Money';
  amount: Scalars['Int']['output'];
  /** ISO-4217 code, upper case */
  currency: Scalars['String']['output'];
};

export type Order = {
  __typename?: 'Order';
  id: Scalars['ID']['output'];
  /** Null until a charge is attempted */
  payment?: Maybe<Payment>;
};

export type Payment = {
  __typename?: 'Payment';
  amount: Money;
  /** Calls made to the payment provider */
  attempts: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** The provider's decline code when FAILED */
  failureReason?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  order: Order;
  status: PaymentStatus;
  updatedAt: Scalars['DateTime']['output'];
};

export { PaymentStatus };

export type Query = {
  __typename?: 'Query';
  /** Same visibility as its order: the owner or an admin. */
  payment?: Maybe<Payment>;
};


export type QueryPaymentArgs = {
  id: Scalars['ID']['input'];
};
