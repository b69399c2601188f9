// The catalog through the typed SDK: read it as anyone, restock as an admin.
//   ADMIN_TOKEN=$(npm run --silent token -- --sub admin --role admin) npx tsx examples/catalog.ts
import { createClient, ProductsDocument, RestockProductDocument } from '@shop/sdk';

const url = process.env['SHOP_URL'] ?? 'http://localhost:4000/graphql';
const shop = createClient({ url, token: process.env['ADMIN_TOKEN'] });

const { products } = await shop.request(ProductsDocument, { first: 5 });
for (const { node } of products.edges) console.log(`${node.sku}  ${node.name}  ${node.price.amount / 100} ${node.price.currency}  stock ${node.stock}`);

const first = products.edges[0]?.node;
if (first) {
  const { restockProduct } = await shop.request(RestockProductDocument, { id: first.id, quantity: 10 });
  console.log(`restocked ${restockProduct.sku}: stock ${restockProduct.stock}`);
}
