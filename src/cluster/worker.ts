import { AggregatorRegistry } from 'prom-client';
import { serve } from '../serve.js';
import { isHlgwMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';
import { ClusterRelayStore } from './relay-store.js';

/**
 * One node:cluster worker: a full gateway on the shared proxy port, without the admin port (the
 * primary serves it and asks the workers; the operator API's calls it relays to a worker's
 * loopback admin listener). With SQLite its changes travel through the
 * primary; with Redis each worker is simply another instance subscribed to the change channel.
 */
export async function runWorker(configPath: string | undefined): Promise<void> {
  const send = (m: WorkerMessage) => {
    if (process.connected) process.send!(m);
  };
  const running = await serve({
    configPath,
    worker: { wrapStore: (s) => (s.type === 'sqlite' ? new ClusterRelayStore(s, send) : s) },
  });
  // prom-client answers the primary's metrics requests from this gateway's own registry.
  AggregatorRegistry.setRegistries([running.gateway.metrics.registry]);
  new AggregatorRegistry();

  process.on('message', (m: unknown) => {
    if (!isHlgwMessage<PrimaryMessage>(m)) return;
    if (m.hlgw === 'drain') return running.gateway.drain();
    if (m.hlgw !== 'ready-ask') return;
    running.gateway.ready().then(
      (detail) => send({ hlgw: 'ready-reply', id: m.id, ready: true, detail }),
      (err: unknown) => send({ hlgw: 'ready-reply', id: m.id, ready: false, detail: err instanceof Error ? err.message : String(err) }),
    );
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => void running.reload());
  process.on('SIGINT', stop);
  // The primary is gone: nobody can relay or supervise any more.
  process.on('disconnect', stop);
  send({ hlgw: 'listening', proxy: running.urls.proxy, ...(running.urls.admin ? { operator: running.urls.admin } : {}) });
}
