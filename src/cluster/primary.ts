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

/** Where the primary is in its life: the exit handler, readiness and stop read it. */
interface Phase { started: boolean; stopping: boolean; draining: boolean }

type ReadyAnswer = { ready: boolean; detail: unknown };

/**
 * The primary of `server.workers`: it checks the store once (a clear one-line error instead of
 * one per worker; SQLite migrations run once, not in a race), forks the workers, which share the
 * proxy port, relays SQLite changes between them, serves the admin port for all, and replaces a
 * worker that dies.
 */
export async function runPrimary(config: GatewayConfig, workers: number, env: NodeJS.ProcessEnv, log: Logger): Promise<RunningPrimary> {
  await checkOnce(config, env, log);
  const demo = await startDemoUpstream(config);
  const phase: Phase = { started: false, stopping: false, draining: false };
  const board = watchWorkers(phase, log);
  const admin = createPrimaryAdminServer(() => readiness(phase, board, workers), config.admin.operatorToken === undefined ? undefined
    : createOperatorRelay(() => [...board.operatorUrls].filter(([w]) => w.isConnected()).map(([, url]) => url)));

  function drain(): void {
    phase.draining = true;
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send({ hlgw: 'drain' } satisfies PrimaryMessage);
  }

  async function stop(): Promise<void> {
    phase.stopping = true;
    phase.draining = true;
    await stopWorkers();
    await closeServer(admin);
    if (demo) await closeServer(demo);
  }

  // Fork and wait until every worker listens; a worker failing at start-up fails the start.
  for (let i = 0; i < workers; i++) cluster.fork();
  try {
    await allListening(workers, board.listening);
    await new Promise<void>((resolve, reject) => admin.once('error', tagListenError(reject, 'admin.port')).listen(config.admin.port, config.admin.host, () => resolve()));
  } catch (err) {
    await stop();
    throw err;
  }
  phase.started = true;
  const a = admin.address() as AddressInfo;
  const d = demo?.address() as AddressInfo | undefined;
  return { proxy: board.proxyUrl(), admin: `http://${a.address}:${a.port}`, demo: d ? `http://${d.address}:${d.port}` : undefined, drain, stop };
}

/** The master key and the store, checked once here rather than once per worker. */
async function checkOnce(config: GatewayConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  const { created } = MasterKey.load(config.secrets.masterKeyFile, env);
  if (created) log.info({ file: config.secrets.masterKeyFile }, 'created a new master key (mode 0600); back it up: losing it means re-issuing every token');
  await (await openStore(config, log)).close();
}

async function startDemoUpstream(config: GatewayConfig): Promise<Server | undefined> {
  if (!config.demoUpstream.enabled) return undefined;
  const demo = createDemoUpstream(config.identity);
  await new Promise<void>((resolve, reject) => demo.once('error', tagListenError(reject, 'demoUpstream.port')).listen(config.demoUpstream.port, config.demoUpstream.host, () => resolve()));
  return demo;
}

/**
 * What the primary learns from its workers' messages: which listen, the proxy URL, each one's
 * loopback admin listener (when the operator API is on) and their answers to ready-asks. It also
 * relays SQLite changes and replaces a worker that dies after start-up.
 */
function watchWorkers(phase: Phase, log: Logger) {
  let proxyUrl = '';
  let askId = 0;
  const pendingAsks = new Map<number, (r: ReadyAnswer) => void>();
  const listening = new Set<Worker>();
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
    if (phase.stopping || !phase.started) return;
    log.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting a new one');
    setTimeout(() => { if (!phase.stopping) cluster.fork(); }, RESPAWN_DELAY_MS).unref();
  });

  function askReady(w: Worker): Promise<ReadyAnswer> {
    const id = ++askId;
    return new Promise((resolve) => {
      const t = setTimeout(() => { pendingAsks.delete(id); resolve({ ready: false, detail: 'no answer' }); }, READY_ASK_TIMEOUT_MS);
      pendingAsks.set(id, (r) => { clearTimeout(t); resolve(r); });
      w.send({ hlgw: 'ready-ask', id } satisfies PrimaryMessage);
    });
  }

  return { listening, operatorUrls, askReady, proxyUrl: () => proxyUrl };
}

type WorkerBoard = ReturnType<typeof watchWorkers>;

/** /readyz of the whole: every worker listens and answers ready; the detail is the first worker's. */
async function readiness(phase: Phase, board: WorkerBoard, workers: number): Promise<Record<string, unknown>> {
  if (phase.draining) throw new Error('shutting down');
  const ws = [...board.listening].filter((w) => w.isConnected());
  const answers = await Promise.all(ws.map(board.askReady));
  const notReady = answers.filter((a) => !a.ready);
  if (ws.length < workers) throw new Error(`${ws.length} of ${workers} workers listening`);
  if (notReady.length > 0) throw new Error(`${notReady.length} of ${workers} workers not ready: ${String(notReady[0]!.detail)}`);
  return { workers, ...(answers[0]?.detail as Record<string, unknown>) };
}

/** Resolves once `workers` workers listen; rejects when one exits first. */
function allListening(workers: number, listening: ReadonlySet<Worker>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
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
}

/** SIGTERM to every worker, SIGKILL to one still alive after STOP_GRACE_MS. */
async function stopWorkers(): Promise<void> {
  const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  await Promise.all(all.map((w) => new Promise<void>((resolve) => {
    if (w.isDead()) return resolve();
    const t = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
    w.once('exit', () => { clearTimeout(t); resolve(); });
    w.process.kill('SIGTERM');
  })));
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
}
