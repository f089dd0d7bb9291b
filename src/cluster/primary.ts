import cluster, { type Worker } from 'node:cluster';
import { tagListenError } from '../http/listen-error.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import type { GatewayConfig } from '../config/schema.js';
import { createDemoUpstream } from '../demo-upstream.js';
import type { Logger } from '../log.js';
import { MasterKey } from '../secrets/master-key.js';
import { openStore } from '../store/open-store.js';
import { isHlgwMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';
import { createOperatorRelay } from './operator-relay.js';
import { createPrimaryAdminServer } from './primary-admin.js';

const READY_ASK_TIMEOUT_MS = 3_000;
const RESPAWN_DELAY_MS = 1_000;
const STOP_GRACE_MS = 10_000;

export function resolveWorkers(w: GatewayConfig['server']['workers']): number {
  return w === 'auto' ? availableParallelism() : w;
}

export interface RunningPrimary {
  proxy: string;
  admin: string;
  demo: string | undefined;
  /** /readyz 503 and the workers answer with Connection: close (server.shutdownDelaySeconds). */
  drain(): void;
  stop(): Promise<void>;
}

/**
 * The primary of `server.workers`: it checks the store once (a clear one-line error instead of
 * one per worker; SQLite migrations run once, not in a race), forks the workers, which share the
 * proxy port, relays SQLite changes between them, serves the admin port for all, and replaces a
 * worker that dies.
 */
export async function runPrimary(config: GatewayConfig, workers: number, env: NodeJS.ProcessEnv, log: Logger): Promise<RunningPrimary> {
  const { created } = MasterKey.load(config.secrets.masterKeyFile, env);
  if (created) log.info({ file: config.secrets.masterKeyFile }, 'created a new master key (mode 0600); back it up: losing it means re-issuing every token');
  await (await openStore(config, log)).close();

  let demo: Server | undefined;
  if (config.demoUpstream.enabled) {
    demo = createDemoUpstream([...Object.values(config.identity.headers), 'x-forwarded-host']);
    await new Promise<void>((resolve, reject) => demo!.once('error', tagListenError(reject, 'demoUpstream.port')).listen(config.demoUpstream.port, config.demoUpstream.host, () => resolve()));
  }

  let stopping = false;
  let draining = false;
  let started = false;
  let proxyUrl = '';
  let askId = 0;
  const pendingAsks = new Map<number, (r: { ready: boolean; detail: unknown }) => void>();
  const listening = new Set<Worker>();
  /** Each worker's loopback admin listener, when the operator API is on. */
  const operatorUrls = new Map<Worker, string>();

  cluster.on('message', (worker: Worker, m: unknown) => {
    if (!isHlgwMessage<WorkerMessage>(m)) return;
    switch (m.hlgw) {
      case 'listening':
        proxyUrl = m.proxy;
        listening.add(worker);
        if (m.operator !== undefined) operatorUrls.set(worker, m.operator);
        return;
      case 'change': {
        // SQLite: the writer has applied it; every other worker applies it now.
        const out: PrimaryMessage = { hlgw: 'change', change: m.change, publishedAt: m.publishedAt };
        for (const w of Object.values(cluster.workers ?? {})) if (w && w !== worker && w.isConnected()) w.send(out);
        return;
      }
      case 'ready-reply':
        pendingAsks.get(m.id)?.({ ready: m.ready, detail: m.detail });
        pendingAsks.delete(m.id);
        return;
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker);
    operatorUrls.delete(worker);
    if (stopping || !started) return;
    log.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting a new one');
    setTimeout(() => { if (!stopping) cluster.fork(); }, RESPAWN_DELAY_MS).unref();
  });

  async function askReady(w: Worker): Promise<{ ready: boolean; detail: unknown }> {
    const id = ++askId;
    return new Promise((resolve) => {
      const t = setTimeout(() => { pendingAsks.delete(id); resolve({ ready: false, detail: 'no answer' }); }, READY_ASK_TIMEOUT_MS);
      pendingAsks.set(id, (r) => { clearTimeout(t); resolve(r); });
      w.send({ hlgw: 'ready-ask', id } satisfies PrimaryMessage);
    });
  }

  const admin = createPrimaryAdminServer(async () => {
    if (draining) throw new Error('shutting down');
    const ws = [...listening].filter((w) => w.isConnected());
    const answers = await Promise.all(ws.map(askReady));
    const notReady = answers.filter((a) => !a.ready);
    if (ws.length < workers) throw new Error(`${ws.length} of ${workers} workers listening`);
    if (notReady.length > 0) throw new Error(`${notReady.length} of ${workers} workers not ready: ${String(notReady[0]!.detail)}`);
    return { workers, ...(answers[0]?.detail as Record<string, unknown>) };
  }, config.admin.operatorToken === undefined ? undefined
    : createOperatorRelay(() => [...operatorUrls].filter(([w]) => w.isConnected()).map(([, url]) => url)));

  function drain(): void {
    draining = true;
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send({ hlgw: 'drain' } satisfies PrimaryMessage);
  }

  async function stop(): Promise<void> {
    stopping = true;
    draining = true;
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(all.map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      const t = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
      w.once('exit', () => { clearTimeout(t); resolve(); });
      w.process.kill('SIGTERM');
    })));
    await new Promise<void>((r) => { admin.close(() => r()); admin.closeAllConnections(); });
    if (demo) await new Promise<void>((r) => { demo!.close(() => r()); demo!.closeAllConnections(); });
  }

  // Fork and wait until every worker listens; a worker failing at start-up fails the start.
  for (let i = 0; i < workers; i++) cluster.fork();
  try {
    await new Promise<void>((resolve, reject) => {
      const onExit = (w: Worker, code: number | null) => reject(new Error(`a worker (pid ${w.process.pid}) exited with code ${code} during start-up; see its message above`));
      const onMessage = () => {
        if (listening.size < workers) return;
        cluster.off('exit', onExit);
        cluster.off('message', onMessage);
        resolve();
      };
      cluster.on('exit', onExit);
      cluster.on('message', onMessage);
    });
    await new Promise<void>((resolve, reject) => admin.once('error', tagListenError(reject, 'admin.port')).listen(config.admin.port, config.admin.host, () => resolve()));
  } catch (err) {
    await stop();
    throw err;
  }
  started = true;
  const a = admin.address() as AddressInfo;
  const d = demo?.address() as AddressInfo | undefined;
  return { proxy: proxyUrl, admin: `http://${a.address}:${a.port}`, demo: d ? `http://${d.address}:${d.port}` : undefined, drain, stop };
}
