#!/usr/bin/env bash
# The API with curl: the catalog as anyone, then a product created as an admin.
#   bash examples/try-it.sh
set -euo pipefail
URL="${SHOP_URL:-http://localhost:4000/graphql}"

curl -sf "$URL" -H 'content-type: application/json' \
  -d '{"query":"{ products(first: 3) { totalCount edges { node { id sku name price { amount currency } stock } } } }"}'

TOKEN="${ADMIN_TOKEN:-$(npm run --silent token -- --sub admin --role admin)}"
SKU="HAT-$RANDOM"
curl -sf "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d '{"query":"mutation { createProduct(input: { sku: \"'"$SKU"'\", name: \"Hat\", price: { amount: 1900, currency: \"EUR\" }, stock: 5 }) { id sku stock } }"}'
