import { unsealSigningKey } from '../identity/signing-keys.js';
import type { MasterKey } from '../secrets/master-key.js';
import type { PortfolioStore, SigningKeyStore } from '../store/types.js';
import { CliError } from './cli-error.js';

/** What the store holds that this master key does not open (names only, never a secret). */
export interface MasterKeyCheck {
  /** Signing keys sealed under another master key: the rotation about to run replaces them. */
  unopenableSigningKeys: string[];
}

/**
 * Before a CLI command seals anything with `masterKey`: it must be the key the gateways use, or
 * what it writes opens nowhere (a signing key sealed under another key answers every Bearer 503).
 * Refused when a portfolio key does not open (those are what the gateways run on), or when the
 * store holds sealed material and none of it opens. A signing key alone that does not open (left
 * by an older CLI, or by a master key change) is reported, not refused: rotating is its repair.
 */
export async function checkMasterKeyOpensStore(store: PortfolioStore & SigningKeyStore, masterKey: MasterKey): Promise<MasterKeyCheck> {
  const portfolios = (await store.listPortfolios()).filter((p) => p.sealedKey !== null);
  const badPortfolios = portfolios.filter((p) => !opens(() => masterKey.unseal(p.sealedKey!, p.companyId))).map((p) => p.companyId);
  const signingKeys = await store.listSigningKeys();
  const unopenableSigningKeys = signingKeys.filter((k) => !opens(() => unsealSigningKey(k, masterKey))).map((k) => k.kid);
  const opened = portfolios.length - badPortfolios.length + signingKeys.length - unopenableSigningKeys.length;
  if (badPortfolios.length > 0 || (opened === 0 && portfolios.length + signingKeys.length > 0)) {
    const what = badPortfolios.length > 0
      ? `the keys of portfolios ${badPortfolios.slice(0, 10).join(', ')}${badPortfolios.length > 10 ? ' and more' : ''}`
      : `any of the ${signingKeys.length} signing keys in the store`;
    throw new CliError(
      `this master key does not open ${what}: it is not the one the gateways use, and what this command would seal could not be opened by them. ` +
      'Nothing was changed. Run it with the gateways\' master key (HLGW_MASTER_KEY or secrets.masterKeyFile).',
    );
  }
  return { unopenableSigningKeys };
}

function opens(unseal: () => unknown): boolean {
  try {
    unseal();
    return true;
  } catch {
    return false;
  }
}
