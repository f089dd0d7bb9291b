import cluster from 'node:cluster';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import { createLogger } from '../log.js';
import { resolveWorkers, runPrimary } from './primary.js';
import { runWorker } from './worker.js';
import { stopOnSignals } from '../cli/stop-on-signals.js';
import { startBanner, upstreamForLogs } from '../cli/banner.js';

/**
 * `hlgw serve` with `server.workers` > 1: as the primary, fork and supervise the workers; as a
 * worker (the same command, re-run by node:cluster), serve. Returns false when the config asks
 * for one process: the caller then serves as usual.
 */
export async function serveClustered(configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (cluster.isWorker) {
    await runWorker(configPath);
    return true;
  }
  const source = resolveConfigPath(configPath, env);
  const config = loadConfigFile(source, env);
  const workers = resolveWorkers(config.server.workers);
  if (workers <= 1) return false;

  const log = createLogger(config.log.level);
  const running = await runPrimary(config, workers, env, log);
  log.info({ proxy: running.proxy, admin: running.admin, workers, upstream: upstreamForLogs(config), store: config.store.type, config: source ?? '<defaults>' }, 'hlgw listening');
  process.stderr.write(startBanner(config, { proxy: running.proxy, admin: running.admin, source, workers, demoUrl: running.demo }) + '\n');

  stopOnSignals(running, config.server.shutdownDelaySeconds * 1000);
  // Each worker reloads its own gateway (and logs the result); the primary only passes it on.
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) w.process.kill('SIGHUP');
  });
  return true;
}
