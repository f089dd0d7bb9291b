import type { Logger } from '../log.js';

/**
 * SIGHUP re-reads the proxy port's certificate and key (server.tls), e.g. after a renewal by
 * certbot or cert-manager. Open connections keep the certificate they started with. A general
 * config reload on SIGHUP should call the same `reloadTls()` rather than add a second handler.
 */
export function reloadTlsOnSighup(gateway: { reloadTls(): boolean }, log: Logger): () => void {
  const onHup = () => {
    try {
      if (gateway.reloadTls()) log.info('SIGHUP: server.tls certificate and key reloaded');
    } catch (err) {
      // The old certificate stays in use: a bad renewal must not take the port down.
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'SIGHUP: server.tls reload failed; the previous certificate stays in use');
    }
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
