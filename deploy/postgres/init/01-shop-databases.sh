#!/usr/bin/env bash
# Runs once, when the postgres container starts on an empty data volume
# (docker-entrypoint-initdb.d), as the superuser POSTGRES_USER.
#
# Creates the application's login role and the three databases it owns, one
# per subgraph. The subgraphs connect as that role with DATABASE_URL
# postgres://shop:…@postgres:5432/shop and use shop_products, shop_orders and
# shop_payments; since the databases already exist they never need CREATEDB,
# and the role is neither superuser nor able to create roles or databases.
# Owning its databases is what lets each subgraph create its schema and run
# its migrations.
#
# SHOP_DB_PASSWORD is read here only: changing it in .env later does not
# change the role's password (ALTER ROLE shop PASSWORD '…' does).
set -euo pipefail

: "${SHOP_DB_PASSWORD:?SHOP_DB_PASSWORD must be set for the postgres container}"

psql --set=ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=shop_password="$SHOP_DB_PASSWORD" <<'SQL'
CREATE ROLE shop LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'shop_password';

CREATE DATABASE shop_products OWNER shop;
CREATE DATABASE shop_orders OWNER shop;
CREATE DATABASE shop_payments OWNER shop;

-- Other roles may not even connect to them.
REVOKE ALL ON DATABASE shop_products, shop_orders, shop_payments FROM PUBLIC;
SQL
