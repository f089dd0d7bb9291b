import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tagListenError } from '../http/listen-error.js';

/** How long requests in flight may take to finish once a listener stops accepting. */
export const DRAIN_MS = 5_000;

/** Binds `server`; resolves with its URL (port 0 picks a free one), rejects naming the config key. */
export function listenOn(server: Server, host: string, port: number, configKey: string, scheme = 'http'): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = tagListenError(reject, configKey);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve(`${scheme}://${h}:${a.port}`);
    });
  });
}

/** The admin listener: stops accepting, lets requests in flight finish (idle keep-alive connections close at once), then cuts the rest. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, reason: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(reason)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, () => { clearTimeout(t); reject(new Error(reason)); });
  });
}
