import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBanner, upstreamForLogs } from './cli/banner.js';
import { ConfigError, loadConfigFile, resolveConfigPath } from './config/load.js';
import type { GatewayConfig } from './config/schema.js';
import { createDemoUpstream } from './demo-upstream.js';
import { createGateway, type Gateway } from './gateway/create-gateway.js';
import { tagListenError } from './http/listen-error.js';
import { createLogger, type Logger } from './log.js';
import { MasterKey } from './secrets/master-key.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/types.js';

export interface Running {
  gateway: Gateway;
  urls: { proxy: string; admin: string; decision?: string };
  demo?: Server;
  /** SIGHUP: re-read the config file and apply what can change live; false when it was refused. */
  reload(): Promise<boolean>;
  log: Logger;
  /** SIGTERM's first step (server.shutdownDelaySeconds): /readyz 503, still serving. */
  drain(): void;
  /** Drains if not yet, stops accepting, lets requests in flight finish, closes the store. */
  stop(): Promise<void>;
}

/** `hlgw serve`: load and validate the config, open the store, start the listeners. */
export interface ServeOptions {
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** A node:cluster worker (server.workers > 1): the primary serves the admin port and the demo upstream. */
  worker?: { wrapStore?(store: Store): Store };
}

export async function serve(opts: ServeOptions): Promise<Running> {
  const env = opts.env ?? process.env;
  const source = resolveConfigPath(opts.configPath, env);
  const config = loadConfigFile(source, env);
  const log = opts.logger ?? createLogger(config.log.level);

  let demo: Server | undefined;
  if (config.demoUpstream.enabled && !opts.worker) {
    demo = createDemoUpstream(config.identity);
    await new Promise<void>((resolve, reject) => {
      demo!.once('error', tagListenError(reject, 'demoUpstream.port')).listen(config.demoUpstream.port, config.demoUpstream.host, () => resolve());
    });
  }
  const { key: masterKey, created } = MasterKey.load(config.secrets.masterKeyFile, env);
  if (created) log.info({ file: config.secrets.masterKeyFile }, 'created a new master key (mode 0600); back it up: losing it means re-issuing every token');
  const opened = await openStore(config, log);
  const store = opts.worker?.wrapStore ? opts.worker.wrapStore(opened) : opened;
  const gateway = await createGateway({ config, store, masterKey, logger: log, env });
  const urls = await gateway.listen({ admin: opts.worker ? 'relay' : true });
  log.info({ proxy: urls.proxy, admin: urls.admin, ...(urls.decision === undefined ? {} : { decision: urls.decision }), upstream: upstreamForLogs(config), forwarder: gateway.forwarderName, store: store.type, config: source ?? '<defaults>' }, 'hlgw listening');
  return {
    gateway, urls, demo, log,
    reload: () => reloadConfig(gateway, source, env, log),
    drain: () => gateway.drain(),
    async stop() {
      await gateway.close();
      await store.close();
      if (demo) await new Promise<void>((r) => { demo!.close(() => r()); demo!.closeAllConnections(); });
    },
  };
}

/** The human banner printed by the CLI on stderr, so stdout holds only JSON log lines. */
export function banner(config: GatewayConfig, r: Running, source: string | undefined): string {
  const demoUrl = r.demo ? `http://${(r.demo.address() as AddressInfo).address}:${(r.demo.address() as AddressInfo).port}` : undefined;
  return startBanner(config, { proxy: r.urls.proxy, admin: r.urls.admin, source, forwarder: r.gateway.forwarderName, demoUrl });
}

/**
 * One reload: the file read and validated completely, then applied. Refused (invalid file, or an
 * unreadable users file) → one log line naming the key and the file, the running config kept.
 */
async function reloadConfig(gateway: Gateway, source: string | undefined, env: NodeJS.ProcessEnv, log: Logger): Promise<boolean> {
  const file = source ?? '<defaults>';
  try {
    const plan = await gateway.reload(loadConfigFile(source, env));
    // The users file is read again on every reload even when no key changed: the line says so.
    const users = plan.usersFile ? ' (users file re-read)' : '';
    log.info({ file, applied: plan.applied, usersFile: plan.usersFile, restartNeeded: plan.restartNeeded }, plan.restartNeeded.length > 0
      ? `config reloaded${users}; changes to ${plan.restartNeeded.join(', ')} apply at the next restart`
      : `config reloaded${users}`);
    return true;
  } catch (err) {
    gateway.configMetrics.reloaded('failure');
    const problems = err instanceof ConfigError ? err.problems.map((p) => `${p.path || '(root)'}: ${p.message} (in ${err.source})`) : [err instanceof Error ? err.message : String(err)];
    log.error({ file }, `config reload refused, running config kept: ${problems.join('; ')}`);
    return false;
  }
}
