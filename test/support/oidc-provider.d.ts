/**
 * oidc-provider 9 ships no types (and @types/oidc-provider is for older majors): the little the
 * test provider (test/support/oidc-idp.ts) touches, typed loosely on purpose.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface GrantLike {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  interface ProviderContext {
    oidc: {
      client?: { clientId: string };
      session?: { accountId?: string };
      provider: { Grant: new (o: { clientId: string; accountId: string }) => GrantLike };
    };
  }
  interface Account {
    accountId: string;
    claims(): Record<string, unknown> | Promise<Record<string, unknown>>;
  }
  export interface Configuration {
    clients?: Record<string, unknown>[];
    jwks?: { keys: unknown[] };
    cookies?: { keys: string[] };
    claims?: Record<string, string[]>;
    conformIdTokenClaims?: boolean;
    features?: Record<string, unknown>;
    findAccount?(ctx: ProviderContext, id: string): Account | undefined | Promise<Account | undefined>;
    loadExistingGrant?(ctx: ProviderContext): Promise<GrantLike | undefined>;
  }
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    IdToken: { prototype: { issue(o?: { use?: string }): Promise<string> } };
  }
}
