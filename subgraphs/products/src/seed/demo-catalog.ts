import { countAllProducts } from '../product/product.repository.js';
import type { CreateProductInput } from '../__generated__/types.js';
import { createProduct, type WriteDeps } from '../product/product.service.js';

const DEMO_CATALOG: CreateProductInput[] = [
  { sku: 'MUG-001', name: 'Enamel camp mug', description: 'Keeps coffee hot by the fire. 350 ml.', price: { amount: 1400, currency: 'EUR' }, stock: 120 },
  { sku: 'TEE-BLK-M', name: 'Black T-shirt (M)', description: 'Organic cotton, medium.', price: { amount: 2500, currency: 'EUR' }, stock: 60 },
  { sku: 'TEE-BLK-L', name: 'Black T-shirt (L)', description: 'Organic cotton, large.', price: { amount: 2500, currency: 'EUR' }, stock: 45 },
  { sku: 'BTL-750', name: 'Steel water bottle', description: 'Double-walled, 750 ml.', price: { amount: 3200, currency: 'EUR' }, stock: 80 },
  { sku: 'NB-A5-DOT', name: 'Dotted notebook A5', description: '192 pages, lay-flat binding.', price: { amount: 1800, currency: 'EUR' }, stock: 200 },
  { sku: 'PEN-FNT-01', name: 'Fountain pen', description: 'Steel nib, refillable converter.', price: { amount: 4900, currency: 'EUR' }, stock: 25 },
  { sku: 'BAG-TOTE', name: 'Canvas tote bag', description: 'Heavy canvas, inner pocket.', price: { amount: 2200, currency: 'EUR' }, stock: 90 },
  { sku: 'CAP-NAVY', name: 'Navy cap', description: 'Adjustable strap.', price: { amount: 2000, currency: 'EUR' }, stock: 3 },
  { sku: 'LAMP-DESK', name: 'Desk lamp', description: 'Warm LED, dimmable.', price: { amount: 6900, currency: 'EUR' }, stock: 15 },
  { sku: 'SOCK-WOOL', name: 'Wool socks', description: 'Merino blend, pair.', price: { amount: 1600, currency: 'EUR' }, stock: 0 },
];

/** Fills an empty catalog with demo products; does nothing once any product exists. */
export async function seedDemoCatalog(writes: WriteDeps): Promise<number> {
  if ((await countAllProducts(writes.db)) > 0) return 0;
  const start = Date.now();
  for (const [index, product] of DEMO_CATALOG.entries()) {
    // Distinct timestamps keep the "newest first" order the same as this list.
    await createProduct(writes, product, new Date(start - index * 1000));
  }
  return DEMO_CATALOG.length;
}
