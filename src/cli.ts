#!/usr/bin/env node
import { Command } from 'commander';
import { packageVersion } from './version.js';
import { checkReferencedFiles } from './cli/check-config-files.js';
import { checkConnections } from './cli/check-connections.js';
import { describeListenError, type ListenFailure } from './http/listen-error.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile, resolveConfigPath } from './config/load.js';
import { banner, serve } from './serve.js';
import { serveClustered } from './cluster/serve-cluster.js';
import { registerLifecycleCommands } from './cli/lifecycle-commands.js';
import { reloadTlsOnSighup } from './cli/reload-tls-on-sighup.js';
import { stopOnSignals } from './cli/stop-on-signals.js';
import { refuseExposedDemo } from './cli/demo-guard.js';
import { registerHealthcheckCommand } from './cli/healthcheck-command.js';
import { processIo } from './cli/io.js';
import { redactUrl } from './secrets/redact-url.js';

/**
 * The `hlgw` command. Subcommands are thin: they parse flags (commander: a well-kept parser
 * with generated help, rather than our own) and call the library.
 */
const program = new Command()
  .name('hlgw')
  .description('Highlight token gateway: a reverse proxy that validates user tokens and forwards an identity upstream.')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError();

program
  .command('serve')
  .description('Start the gateway (proxy listener, admin listener with /metrics, /healthz, /readyz).')
  .option('-c, --config <file>', `YAML config file (default: $HLGW_CONFIG, else ${DEFAULT_CONFIG_PATH} when present, else the embedded defaults)`)
  .option('--allow-demo', 'start a demo config (demoUpstream, the demo users) on a non-loopback address anyway')
  .addHelpText('after', '\nEnvironment:\n  HLGW_CONFIG       config file when --config is not given\n  HLGW_MASTER_KEY   base64 master key sealing portfolio keys at rest (else secrets.masterKeyFile)\n  HLGW_ALLOW_DEMO   1: same as --allow-demo\n')
  .action(async (opts: { config?: string; allowDemo?: boolean }) => {
    const source = resolveConfigPath(opts.config, process.env);
    // The demo's published passwords must not meet the network by accident (src/cli/demo-guard.ts).
    refuseExposedDemo(loadConfigFile(source, process.env), process.env, opts.allowDemo === true);
    // server.workers > 1: node:cluster primary or worker (src/cluster/serve-cluster.ts).
    if (await serveClustered(opts.config)) return;
    const running = await serve({ configPath: opts.config });
    // stderr: stdout carries only the JSON log lines a shipper parses.
    process.stderr.write(banner(running.gateway.config, running, source) + '\n');
    stopOnSignals(running, running.gateway.config.server.shutdownDelaySeconds * 1000);
    // Reload without dropping a connection (docs/OPERATIONS.md, "Reload"); the TLS certificates too.
    process.on('SIGHUP', () => void running.reload());
    reloadTlsOnSighup(running.gateway, running.log);
  });

program
  .command('check-config')
  .description('Validate a config file and print the effective configuration (passwords in URLs masked).')
  .option('-c, --config <file>', 'YAML config file (same lookup as serve)')
  .option('--connect', 'also open the store, reach the upstream, the users source and each SSO provider, one line per check; exit 1 when one fails')
  .action(async (opts: { config?: string; connect?: boolean }) => {
    const source = resolveConfigPath(opts.config, process.env);
    const cfg = loadConfigFile(source, process.env);
    // Files the config names (users file, master key) must exist and parse: found here, not by serve.
    const { problems, notes } = await checkReferencedFiles(cfg, process.env);
    if (problems.length > 0) throw new ConfigError(source ?? '<defaults>', problems);
    // A redis://:password@host URL may carry a secret interpolated from the environment.
    const shown = JSON.stringify(cfg, (_k, v: unknown) => (typeof v === 'string' && v.includes('://') ? redactUrl(v) : v), 2);
    process.stdout.write(`config ok: ${source ?? '<embedded defaults>'}\n${notes.map((n) => `  ${n}\n`).join('')}${shown}\n`);
    if (opts.connect) {
      const { lines, failed } = await checkConnections(cfg);
      process.stdout.write(lines.map((l) => `${l}\n`).join(''));
      if (failed) process.exitCode = 1;
    }
  });

registerLifecycleCommands(program);
registerHealthcheckCommand(program, processIo);

// `hlgw` alone is a request for help, not a mistake: print it and exit 0, as git and npm do.
if (process.argv.length <= 2) {
  program.outputHelp();
  process.exit(0);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  // Known start-up failures print one clear line, never a stack trace.
  const listen = err instanceof Error ? describeListenError(err as ListenFailure) : undefined;
  if (err instanceof ConfigError) process.stderr.write(err.message + '\n');
  else if (listen) process.stderr.write(`hlgw: ${listen}\n`);
  else process.stderr.write(`hlgw: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

