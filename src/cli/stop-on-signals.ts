/** What a signal stops: the single-process gateway or the cluster primary. */
export interface Stoppable {
  /** Out of the load balancer's rotation (/readyz 503), still serving: src/http/drain.ts. */
  drain(): void;
  stop(): Promise<void>;
}

/**
 * SIGTERM (what process managers and orchestrators send) drains first: `drainDelayMs`
 * (server.shutdownDelaySeconds) of /readyz 503 while the proxy port still serves, so the load
 * balancer stops sending here before the port closes; then the stop, and exit 0 (1 if stopping
 * failed). SIGINT (someone at a terminal) and a second signal during the wait stop at once.
 */
export function stopOnSignals(target: Stoppable, drainDelayMs: number): void {
  let state: 'running' | 'draining' | 'stopping' = 'running';
  let skipWait: (() => void) | undefined;
  const stop = () => {
    state = 'stopping';
    target.stop().then(() => process.exit(0), () => process.exit(1));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (state === 'stopping') return;
    if (state === 'draining') {
      process.stderr.write(`hlgw: ${signal} again, shutting down now\n`);
      return skipWait?.();
    }
    if (signal === 'SIGINT' || drainDelayMs <= 0) {
      process.stderr.write(`hlgw: ${signal}, shutting down\n`);
      return stop();
    }
    state = 'draining';
    target.drain();
    process.stderr.write(`hlgw: ${signal}, not ready any more; serving ${drainDelayMs / 1000} s more (server.shutdownDelaySeconds), then shutting down\n`);
    const wait = setTimeout(stop, drainDelayMs);
    skipWait = () => {
      clearTimeout(wait);
      stop();
    };
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
