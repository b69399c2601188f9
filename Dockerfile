# syntax=docker/dockerfile:1
#
# One image for every service of the supergraph; a container picks its service
# with SERVICES (products, orders, payments or router). The card provider
# simulator runs packages/payment-provider/dist/main.js from the same image.
# docker-compose.yml shows both; docs/deployment.md explains the rest.
#
# The image runs compiled JavaScript: the build stage compiles every workspace
# that ships (`npm run build`: src/ to dist/, with the dev dependencies), the
# runtime stage holds the production dependencies and those dist/ folders,
# no TypeScript sources and no tsx.

# ---- manifests: every workspace's package.json and the lockfile -----------
# Only the manifests first: the install layers below (the slow ones) are
# rebuilt when a package.json or the lockfile changes, not on every source
# edit. Every workspace's package.json is needed, or `npm ci` finds the
# lockfile out of step with the workspaces (deploy/__tests__/deployment.test.ts
# checks the list below against package.json's "workspaces").
FROM node:24.22.3-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
# The root's postinstall applies these to node_modules (patch-package):
# the patches of @apollo/gateway and graphql-js, see patches/README.md.
COPY patches patches/
COPY apps/launcher/package.json apps/launcher/
COPY bench/package.json bench/
COPY examples/package.json examples/
COPY integration-tests/package.json integration-tests/
COPY packages/database/package.json packages/database/
COPY packages/events/package.json packages/events/
COPY packages/graphql/package.json packages/graphql/
COPY packages/observability/package.json packages/observability/
COPY packages/outbox/package.json packages/outbox/
COPY packages/payment-provider/package.json packages/payment-provider/
COPY packages/runtime/package.json packages/runtime/
COPY packages/subgraph-kit/package.json packages/subgraph-kit/
COPY router/package.json router/
COPY schema/package.json schema/
COPY sdk/package.json sdk/
COPY storefront/package.json storefront/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/payments/package.json subgraphs/payments/
COPY subgraphs/products/package.json subgraphs/products/
COPY testing/package.json testing/

# ---- deps: production dependencies, installed from the lockfile ------------
FROM manifests AS deps
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --no-audit --no-fund

# ---- build: every dependency, the sources, `npm run build` -----------------
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json turbo.json ./
# The workspaces that ship: the launcher (apps/), the shared packages, the
# subgraphs, the router, the supergraph (schema/) and the SDK, whose
# persisted-documents manifest the router reads. Tests, the test harness
# (testing/), bench and docs stay out.
COPY apps apps
COPY packages packages
COPY subgraphs subgraphs
COPY router router
COPY schema schema
COPY sdk sdk
# turbo builds each workspace after the ones it depends on (tsc -p
# tsconfig.build.json; a subgraph copies its schema.graphql beside its code).
# /out collects what the runtime needs of it: each dist/ and the composed
# supergraph the router reads (schema/supergraph.graphql).
RUN npm run build \
 && mkdir /out \
 && cp --parents -r apps/*/dist packages/*/dist subgraphs/*/dist router/dist schema/dist sdk/dist /out/ \
 && cp --parents schema/supergraph.graphql /out/

# ---- runtime: production node_modules plus the compiled code ---------------
FROM node:24.22.3-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
# node_modules (with the workspace links) and the manifests, whose "exports"
# point at dist/, from deps; the compiled code from build.
COPY --from=deps /app ./
COPY --from=build /out ./
# Files stay owned by root: the services only read them; the databases live
# in Postgres. The one folder written is the card provider simulator's
# journal: made here, owned by node, so the volume docker-compose.yml mounts
# on it starts out writable (Docker copies a mount point's owner into a new
# volume).
RUN mkdir -p /app/.data/payment-provider && chown -R node:node /app/.data
USER node
EXPOSE 4000 4001 4002 4003 4010 9464
# Default probe for `docker run -e SERVICES=<one service>`: /ready on that
# service's port (the router's when SERVICES lists it). Slim images have no
# curl, so Node's fetch does it. docker-compose.yml sets an explicit probe
# per service, the card provider simulator's included.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const names = (process.env.SERVICES || 'router').split(',').map((name) => name.trim()); const service = names.includes('router') ? 'router' : names[0]; const [variable, fallback] = { router: ['ROUTER_PORT', 4000], products: ['PRODUCTS_PORT', 4001], orders: ['ORDERS_PORT', 4002], payments: ['PAYMENTS_PORT', 4003], 'payment-provider': ['PAYMENT_PROVIDER_PORT', 4010] }[service] || ['ROUTER_PORT', 4000]; fetch(`http://127.0.0.1:${process.env[variable] || fallback}/ready`, { signal: AbortSignal.timeout(4000) }).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1));"]
# V8's heap sized for memory rather than left to grow on a large host: a young
# generation of at most 2 x 32 MB (V8 takes up to 2 x 64 MB) and an old
# generation collected once it is 1.5 times what survived the last full
# collection (V8 waits for up to 4 times). Under the gateway bench's load the
# router peaks at about 240 MB instead of about 400, a subgraph at 190-230 MB
# instead of 340-390, for 10-20 % more CPU in the orders subgraph on
# orders(first: 100) (docs/deployment.md, "Memory limits and V8's heap").
# Flags on the command line: Node refuses --heap-growing-percent in NODE_OPTIONS.
# This is the router's command (and every service's when one process runs
# several); docker-compose.yml and deploy/k8s run the subgraphs with 2 x 16 MB
# semi-spaces instead, which keeps each under 200 MB under that load.
CMD ["node", "--max-semi-space-size=32", "--heap-growing-percent=50", "apps/launcher/dist/main.js"]
