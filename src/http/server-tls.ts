import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import { checkPair, type FileCheck } from '../config/file-check.js';
import { ConfigError, type ConfigProblem } from '../config/problems.js';
import type { GatewayConfig } from '../config/schema.js';

type ServerTls = NonNullable<GatewayConfig['server']['tls']>;

/**
 * Modern defaults for the proxy port: TLS 1.2 and 1.3 only, the server's cipher order (Node's
 * default list: AEAD suites with forward secrecy first). HTTP/1.1 only: the upstream API and the
 * request path are HTTP/1.1.
 */
const MODERN = { minVersion: 'TLSv1.2', honorCipherOrder: true } as const;

/** The certificate, key and client CA as read now; throws a ConfigError naming the key of a file that cannot be used. */
function readServerTls(t: ServerTls): SecureContextOptions & { requestCert: boolean } {
  const problems: ConfigProblem[] = [];
  const read = (key: 'cert' | 'key' | 'clientCa'): string | undefined => {
    const path = t[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      problems.push({ path: `server.tls.${key}`, message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      return undefined;
    }
  };
  const cert = read('cert');
  const key = read('key');
  const ca = read('clientCa');
  if (cert && key) {
    try {
      checkPair(cert, key);
    } catch (err) {
      problems.push({ path: 'server.tls.key', message: `${t.key} is not usable with ${t.cert}: ${(err as Error).message}` });
    }
  }
  if (problems.length > 0) throw new ConfigError('<server.tls>', problems);
  return { cert, key, ...(ca ? { ca } : {}), requestCert: ca !== undefined };
}

/** The proxy listener: HTTPS with server.tls, plain HTTP without. */
export function createProxyListener(server: GatewayConfig['server'], handler: RequestListener, limits: { maxHeaderSize: number }): Server {
  const opts = { keepAliveTimeout: 65_000, ...limits };
  if (!server.tls) return createHttpServer(opts, handler);
  const tls = readServerTls(server.tls);
  // With a client CA every client must present a certificate it issued (mutual TLS).
  const https = createHttpsServer({ ...opts, ...MODERN, ...tls, rejectUnauthorized: tls.requestCert, ALPNProtocols: ['http/1.1'] }, handler);
  // https.Server serves requests exactly like http.Server; the gateway only uses what both have.
  return https as unknown as Server;
}

/**
 * Reads server.tls's files again and uses them for new connections; connections already open
 * keep theirs (nothing is dropped). On a bad file the old certificate stays and the error is
 * thrown for the caller to log. A no-op (false) without server.tls.
 */
export function reloadServerTls(listener: Server, server: GatewayConfig['server']): boolean {
  if (!server.tls) return false;
  const tls = readServerTls(server.tls);
  (listener as unknown as HttpsServer).setSecureContext({ ...MODERN, cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}) });
  return true;
}

/** `hlgw check-config`: the listener's files exist, parse, and the key belongs to the certificate. */
export function serverTlsFileChecks(config: GatewayConfig): FileCheck[] {
  const t = config.server.tls;
  if (!t) return [];
  return [
    { key: 'server.tls.cert', path: t.cert, parse: (text) => checkPair(text, readFileSync(t.key, 'utf8')) },
    { key: 'server.tls.key', path: t.key, parse: (text) => void createPrivateKey(text) },
    ...(t.clientCa ? [{ key: 'server.tls.clientCa', path: t.clientCa, parse: (text: string) => void new X509Certificate(text) }] : []),
  ];
}
