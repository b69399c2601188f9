/** Where the e2e run's services listen: a range of their own, beside a developer's `npm start` (4000–4010). */
const base = Number(process.env['E2E_PORT_BASE'] ?? 4700);

export const E2E = {
  ports: { router: base, products: base + 1, orders: base + 2, payments: base + 3, paymentProvider: base + 10, storefront: base + 73 },
  get routerOrigin() {
    return `http://127.0.0.1:${this.ports.router}`;
  },
  get storefrontOrigin() {
    return `http://127.0.0.1:${this.ports.storefront}`;
  },
  get providerOrigin() {
    return `http://127.0.0.1:${this.ports.paymentProvider}`;
  },
};
