import type { Command } from 'commander';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import { rotateSigningKeys } from '../identity/signing-keys.js';
import { createLogger } from '../log.js';
import { MasterKey } from '../secrets/master-key.js';
import { openStore } from '../store/open-store.js';
import { checkMasterKeyOpensStore } from './check-master-key.js';
import { CliError, type CliIo } from './io.js';

/**
 * `hlgw keys rotate`: a new assertion signing key in the store (`identity.upstream: assertion`).
 * Run against the store with the master key, like `serve`: a signing key is an operator's matter,
 * not a portfolio manager's. The key is stored at once, each instance publishes it within one
 * `keyRefreshSeconds`, and it signs once every instance has reloaded it (two `keyRefreshSeconds`); the old one stays published for `overlapSeconds` more.
 * It never creates a master key, and refuses one that does not open what the store holds: a key
 * sealed under the wrong master key would make every gateway answer Bearer requests 503.
 */
export function registerKeysCommand(program: Command, io: CliIo): void {
  program
    .command('keys')
    .description('Assertion signing keys (identity.upstream: assertion).')
    .command('rotate')
    .description('Create a new signing key; the current one retires when it activates and stays in the JWKS for identity.assertion.overlapSeconds.')
    .option('-c, --config <file>', 'YAML config file (same lookup as serve)')
    .option('--now', 'sign with the new key at once (single instance; verifiers may meet its kid before they fetched it)')
    .action(async (opts: { config?: string; now?: boolean }) => {
      const env = io.env;
      const config = loadConfigFile(resolveConfigPath(opts.config, env), env);
      const masterKey = MasterKey.find(config.secrets.masterKeyFile, env);
      if (!masterKey) {
        throw new CliError(`no master key: HLGW_MASTER_KEY is not set and ${config.secrets.masterKeyFile} (secrets.masterKeyFile) does not exist. ` +
          'Run with the master key the gateways use; this command never creates one.');
      }
      const store = await openStore(config, createLogger('silent'));
      try {
        const { unopenableSigningKeys } = await checkMasterKeyOpensStore(store, masterKey);
        if (unopenableSigningKeys.length > 0) io.err(`signing keys ${unopenableSigningKeys.join(', ')} do not open with this master key; the new key replaces them\n`);
        const a = config.identity.assertion;
        const next = await rotateSigningKeys(store, masterKey, { alg: a.alg, now: Date.now(), activateAfterMs: opts.now ? 0 : 2 * a.keyRefreshSeconds * 1000 });
        // The key is in the store now; each instance reloads the key set every keyRefreshSeconds, so its JWKS shows it within that.
        io.out(`new signing key ${next.kid} (${next.alg}) stored; every instance publishes it within ${a.keyRefreshSeconds} s ` +
          `(identity.assertion.keyRefreshSeconds), signing from ${new Date(next.activeFrom).toISOString()}\n`);
      } finally {
        await store.close();
      }
    });
}
