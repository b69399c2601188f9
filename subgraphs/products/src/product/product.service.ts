import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '@shop/database';
import { badUserInput, conflict, decodeCursor, parseFirst, parseId, toConnection, type Connection } from '@shop/graphql';
import { createEvent } from '@shop/events';
import type { Outbox } from '@shop/outbox';
import type { CreateProductInput, MoneyInput, QueryProductsArgs, UpdateProductInput } from '../__generated__/types.js';
import * as repository from './product.repository.js';
import type { ProductPatch, ProductRow, ProductsDatabase } from './product.table.js';

type Db = Kysely<ProductsDatabase>;

/** What a write needs: the database, and a way to tell the outbox relay there is something to publish. */
export interface WriteDeps {
  db: Db;
  /** Writes a change with its events, and wakes the relay once they committed. */
  outbox: Outbox<ProductsDatabase>;
}

/** Announces a product's name, price and state (the orders subgraph keeps a read model of them). */
function productChanged(row: ProductRow) {
  return createEvent('ProductChanged', row.id, {
    productId: row.id,
    sku: row.sku,
    name: row.name,
    price: { amount: row.price_amount, currency: row.price_currency },
    active: row.active,
  }, row.updated_at);
}

/** A page of products; `totalCount` runs its statement only when the field is asked for. */
export interface ProductPage extends Connection<ProductRow> {
  totalCount: () => Promise<number>;
}

const LIMITS = { sku: 64, name: 200, description: 5_000, search: 200 } as const;
const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export async function listProducts(db: Db, args: QueryProductsArgs): Promise<ProductPage> {
  const first = parseFirst(args.first);
  const after = decodeCursor(args.after);
  const search = args.search?.trim() || null;
  if (search && search.length > LIMITS.search) {
    throw badUserInput(`search must be at most ${LIMITS.search} characters, got ${search.length}`, 'search');
  }
  const rows = await repository.listActiveProducts(db, { search }, { limit: first + 1, after });
  return { ...toConnection(rows, first), totalCount: () => repository.countActiveProducts(db, { search }) };
}

export async function createProduct({ outbox }: WriteDeps, input: CreateProductInput, now = new Date()): Promise<ProductRow> {
  const stock = input.stock ?? 0;
  if (!Number.isInteger(stock) || stock < 0) throw badUserInput(`input.stock must be 0 or more, got ${stock}`, 'input.stock');
  const price = parseMoney(input.price, 'input.price');
  const sku = requireText(input.sku, 'input.sku', LIMITS.sku);
  const newRow = {
    id: randomUUID(),
    sku,
    name: requireText(input.name, 'input.name', LIMITS.name),
    description: optionalText(input.description ?? '', 'input.description', LIMITS.description),
    price_amount: price.amount,
    price_currency: price.currency,
    stock_received: stock,
    stock_available: stock,
    created_at: now,
    updated_at: now,
  };
  try {
    return await outbox.transaction(async (trx, emit) => {
      const row = await repository.insertProduct(trx, newRow);
      emit(productChanged(row));
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`A product with sku "${sku}" already exists`);
    throw error;
  }
}

export async function updateProduct({ outbox }: WriteDeps, id: string, input: UpdateProductInput, now = new Date()): Promise<ProductRow> {
  const productId = parseId(id, 'id');
  const patch: ProductPatch = {};
  if (input.name != null) patch.name = requireText(input.name, 'input.name', LIMITS.name);
  if (input.description != null) patch.description = optionalText(input.description, 'input.description', LIMITS.description);
  if (input.price != null) {
    const price = parseMoney(input.price, 'input.price');
    patch.price_amount = price.amount;
    patch.price_currency = price.currency;
  }
  if (input.active != null) patch.active = input.active;
  const updated = await outbox.transaction(async (trx, emit) => {
    const row = await repository.updateProduct(trx, productId, { ...patch, updated_at: now });
    if (row) emit(productChanged(row));
    return row;
  });
  if (!updated) throw unknownProduct(productId);
  return updated;
}

export async function restockProduct(db: Db, id: string, quantity: number, now = new Date()): Promise<ProductRow> {
  const productId = parseId(id, 'id');
  if (!Number.isInteger(quantity) || quantity < 1) throw badUserInput(`quantity must be 1 or more, got ${quantity}`, 'quantity');
  const updated = await repository.addStock(db, productId, quantity, now);
  if (updated) return updated;
  const [existing] = await repository.findProductsByIds(db, [productId]);
  if (!existing) throw unknownProduct(productId);
  throw badUserInput(
    `quantity ${quantity} would take the stock of ${existing.sku} past ${repository.MAX_INT} units received`,
    'quantity',
  );
}

function unknownProduct(id: string) {
  return badUserInput(`No product has id "${id}"`, 'id');
}

function parseMoney(money: MoneyInput, field: string): MoneyInput {
  if (!Number.isInteger(money.amount) || money.amount < 0) {
    throw badUserInput(`${field}.amount must be a whole number of minor units (cents), 0 or more; got ${money.amount}`, `${field}.amount`);
  }
  if (!ISO_CURRENCIES.has(money.currency)) {
    throw badUserInput(`${field}.currency must be an upper-case ISO-4217 code such as "EUR", got "${money.currency}"`, `${field}.currency`);
  }
  return money;
}

function requireText(value: string, field: string, maxLength: number): string {
  const text = value.trim();
  if (text.length === 0) throw badUserInput(`${field} must not be empty`, field);
  return optionalText(text, field, maxLength);
}

function optionalText(value: string, field: string, maxLength: number): string {
  if (value.length > maxLength) throw badUserInput(`${field} must be at most ${maxLength} characters, got ${value.length}`, field);
  return value;
}
