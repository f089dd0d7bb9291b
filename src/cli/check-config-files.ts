import { existsSync, readFileSync } from 'node:fs';
import type { FileCheck } from '../config/file-check.js';
import { ConfigError, type ConfigProblem } from '../config/problems.js';
import type { GatewayConfig } from '../config/schema.js';
import { serverTlsFileChecks } from '../http/server-tls.js';
import { upstreamTlsFileChecks } from '../proxy/upstream-tls.js';
import { MasterKey } from '../secrets/master-key.js';
import { FileUserSource } from '../users/file-user-source.js';
import { knownIdp } from '../users/sso/saml-client.js';

/**
 * `hlgw check-config`: every file the config refers to exists and parses, so a missing users
 * file or a key that is not PEM is found before `hlgw serve`, not by it.
 */
export async function checkReferencedFiles(config: GatewayConfig, env: NodeJS.ProcessEnv, extra: readonly FileCheck[] = []): Promise<{ problems: ConfigProblem[]; notes: string[] }> {
  const problems: ConfigProblem[] = [];
  const notes: string[] = [];
  const checks: FileCheck[] = [...serverTlsFileChecks(config), ...upstreamTlsFileChecks(config), ...extra];
  if (config.users.source === 'file') {
    const file = config.users.file;
    checks.push({ key: 'users.file', path: file, parse: async (text) => void (await FileUserSource.fromYaml(text, file)) });
  }
  config.users.sso.providers.forEach((p, i) => {
    if (p.type !== 'saml') return;
    const key = p.idpMetadataFile === undefined ? 'idpCertFile' : 'idpMetadataFile';
    checks.push({ key: `users.sso.providers.${i}.${key}`, path: (p.idpMetadataFile ?? p.idpCertFile)!, parse: (text) => void knownIdp(p, text) });
  });
  if (env.HLGW_MASTER_KEY) notes.push('master key: from HLGW_MASTER_KEY');
  else if (!existsSync(config.secrets.masterKeyFile)) notes.push(`master key: ${config.secrets.masterKeyFile} does not exist yet; serve creates it (mode 0600)`);
  else checks.push({ key: 'secrets.masterKeyFile', path: config.secrets.masterKeyFile, parse: (text) => void MasterKey.fromBase64(text, config.secrets.masterKeyFile) });

  for (const c of checks) {
    let text: string;
    try {
      text = readFileSync(c.path, 'utf8');
    } catch (err) {
      problems.push({ path: c.key, message: `cannot read ${c.path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    try {
      await c.parse(text);
    } catch (err) {
      const detail = err instanceof ConfigError ? err.message.split('\n').join('; ') : err instanceof Error ? err.message : String(err);
      problems.push({ path: c.key, message: `${c.path} is not usable: ${detail}` });
    }
  }
  return { problems, notes };
}
