import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The master key seals the stretched pass phrases at rest (AES-256-GCM) and is the root of the
 * server pepper mixed into every token key (src/token/derive-key.ts), so neither a copy of the
 * store nor a pass phrase can forge tokens without it. It comes from HLGW_MASTER_KEY (base64 of 32 bytes) or a key file,
 * created with mode 0600 on first start.
 */
export class MasterKey {
  private constructor(private readonly key: Buffer) {}

  static fromBase64(b64: string, origin: string): MasterKey {
    const key = Buffer.from(b64.trim(), 'base64');
    if (key.length !== 32) throw new Error(`master key from ${origin} must be 32 bytes in base64 (got ${key.length} bytes)`);
    return new MasterKey(key);
  }

  /**
   * HLGW_MASTER_KEY wins; otherwise the file; undefined when neither is there. Never creates a
   * key: a command that seals with a key it just made writes what no gateway can open.
   */
  static find(file: string, env: NodeJS.ProcessEnv = process.env): MasterKey | undefined {
    if (env.HLGW_MASTER_KEY) return MasterKey.fromBase64(env.HLGW_MASTER_KEY, 'HLGW_MASTER_KEY');
    if (existsSync(file)) return MasterKey.fromBase64(readFileSync(file, 'utf8'), file);
    return undefined;
  }

  /** As find(), but the file is created when missing (`serve`'s first start only). */
  static load(file: string, env: NodeJS.ProcessEnv = process.env): { key: MasterKey; created: boolean } {
    const found = MasterKey.find(file, env);
    if (found) return { key: found, created: false };
    mkdirSync(dirname(file), { recursive: true });
    const b64 = randomBytes(32).toString('base64');
    // 'wx': never overwrite a key another process just created.
    writeFileSync(file, b64 + '\n', { mode: 0o600, flag: 'wx' });
    return { key: MasterKey.fromBase64(b64, file), created: true };
  }

  /**
   * A named sub-key, HKDF-SHA256 (RFC 5869) of the master key with `purpose` as info: one key per
   * purpose, and the raw master key never leaves this object. The caller owns (and may wipe) the result.
   */
  deriveSubkey(purpose: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, 'hlgw/master-key', purpose, length));
  }

  seal(plain: Buffer, context: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(context));
    const ct = Buffer.concat([c.update(plain), c.final()]);
    return ['v1', iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
  }

  /** `context` binds the sealed value to its owner (the company id): a sealed key cannot be moved to another portfolio. */
  unseal(sealed: string, context: string): Buffer {
    const [v, iv, ct, tag] = sealed.split('.');
    if (v !== 'v1' || !iv || !ct || !tag) throw new MasterKeyMismatch(context);
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      d.setAAD(Buffer.from(context));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]);
    } catch {
      throw new MasterKeyMismatch(context);
    }
  }
}

export class MasterKeyMismatch extends Error {
  constructor(readonly companyId: string) {
    super(masterKeyMismatchMessage([companyId]));
    this.name = 'MasterKeyMismatch';
  }
}

/** What to tell the operator when the keys of these portfolios do not open (one line for all of them). */
export function masterKeyMismatchMessage(companyIds: readonly string[]): string {
  const shown = companyIds.slice(0, 10).join(', ') + (companyIds.length > 10 ? ` and ${companyIds.length - 10} more` : '');
  const which = companyIds.length === 1 ? `the key of portfolio ${shown}` : `the keys of ${companyIds.length} portfolios (${shown})`;
  return (
    `cannot unseal ${which}: the master key is not the one it was sealed with. ` +
    'Restore the original master key (HLGW_MASTER_KEY or secrets.masterKeyFile), or set the pass phrase again ' +
    `for ${companyIds.length === 1 ? 'this portfolio' : 'each of them'}: its tokens must then be re-issued.`
  );
}
