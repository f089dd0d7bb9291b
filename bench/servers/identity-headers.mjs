// What a Bearer request carries upstream in `identity.upstream: headers` mode instead of its token:
// the seven identity headers, with values as long as the seeded bench token's. The floors of the
// bearer rows (bare-undici.mjs and bare-http-proxy.mjs, mode `identity`) add them as constants.
export const IDENTITY_HEADERS = [
  ['x-highlight-user-id', 'bench-0'], ['x-highlight-login', 'bench-0@bench.example'], ['x-highlight-company-id', 'bench-co'],
  ['x-highlight-portfolio-id', 'bench-co'], ['x-highlight-token-id', 'AbCdEfGhIjKlMnOpQrStUv'], ['x-highlight-auth-method', 'bearer'],
  ['x-highlight-token-scopes', 'full'],
];
