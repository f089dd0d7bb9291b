import type { Command } from 'commander';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { CliError } from './cli-error.js';
import type { CliIo } from './io.js';

/**
 * `hlgw healthcheck`: GET /readyz on the admin address the config names, exit 0 when ready and 1
 * otherwise. The Docker HEALTHCHECK runs it, so the probe follows the configured admin port and
 * asks readiness (store reachable, state current), not a port written into the Dockerfile.
 */
export function registerHealthcheckCommand(program: Command, io: CliIo): void {
  program
    .command('healthcheck')
    .description('Ask /readyz on the configured admin address: exit 0 when ready, 1 otherwise (for a container HEALTHCHECK).')
    .option('-c, --config <file>', 'YAML config file (same lookup as serve)')
    .option('--timeout <ms>', 'give up after this long', '2000')
    .action(async (o: { config?: string; timeout: string }) => {
      if (!/^[0-9]+$/.test(o.timeout)) throw new CliError('--timeout: expected a whole number of milliseconds');
      const url = readyzUrl(loadConfigFile(resolveConfigPath(o.config, io.env), io.env));
      let answer: Response;
      try {
        answer = await fetch(url, { signal: AbortSignal.timeout(Number(o.timeout)) });
      } catch (err) {
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
        throw new CliError(`not ready: ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
      }
      const body = (await answer.text()).trim();
      if (answer.status !== 200) throw new CliError(`not ready: ${url}: HTTP ${answer.status} ${body}`);
      io.out(`ready: ${url}: ${body}\n`);
    });
}

/** The admin listener as a client reaches it from the same host: a wildcard address means loopback. */
function readyzUrl(config: GatewayConfig): string {
  const { host, port } = config.admin;
  if (port === 0) throw new CliError('admin.port is 0 (a port chosen at start): the health check cannot know it; set admin.port');
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${target.includes(':') ? `[${target}]` : target}:${port}/readyz`;
}
