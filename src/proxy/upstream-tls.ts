import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildConnector } from 'undici';
import { checkPair, type FileCheck } from '../config/file-check.js';
import { ConfigError, type ConfigProblem } from '../config/problems.js';
import type { GatewayConfig } from '../config/schema.js';

/** What both forwarders hand to tls.connect for an https:// upstream (files already read). */
export interface UpstreamTls {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

/**
 * Reads `upstream.tls`'s files once at start. Undefined for an http:// upstream or no options
 * (then Node's bundled CAs and NODE_EXTRA_CA_CERTS decide).
 */
export function loadUpstreamTls(upstream: GatewayConfig['upstream']): UpstreamTls | undefined {
  const t = upstream.tls;
  if (!t || !upstream.url.toLowerCase().startsWith('https:')) return undefined;
  const problems: ConfigProblem[] = [];
  const read = (key: 'ca' | 'cert' | 'key'): string | undefined => {
    const path = t[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      problems.push({ path: `upstream.tls.${key}`, message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      return undefined;
    }
  };
  const out: UpstreamTls = { ca: read('ca'), cert: read('cert'), key: read('key'), servername: t.servername, rejectUnauthorized: t.rejectUnauthorized };
  if (problems.length > 0) throw new ConfigError('<upstream.tls>', problems);
  return out;
}

/** `hlgw check-config`: the TLS files exist, are PEM, and the client key belongs to its certificate. */
export function upstreamTlsFileChecks(config: GatewayConfig): FileCheck[] {
  const t = config.upstream.tls;
  if (!t) return [];
  const checks: FileCheck[] = [];
  if (t.ca) checks.push({ key: 'upstream.tls.ca', path: t.ca, parse: (text) => void new X509Certificate(text) });
  if (t.cert && t.key) {
    const keyPath = t.key;
    checks.push({ key: 'upstream.tls.cert', path: t.cert, parse: (text) => checkPair(text, readFileSync(keyPath, 'utf8')) });
    checks.push({ key: 'upstream.tls.key', path: t.key, parse: (text) => void createPrivateKey(text) });
  }
  return checks;
}

/**
 * undici's connector with `tls`, which also remembers why a TLS connection failed. When an
 * upstream refuses the handshake after it looked complete (TLS 1.3: a client certificate it
 * requires), the socket reports the alert (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED) but undici
 * answers the request with a plain "other side closed"; `causeOf` finds the alert again by the
 * connection's local port (kept a few seconds, failures only).
 */
export function tlsConnector(tls: UpstreamTls): { connect: buildConnector.connector; causeOf(err: unknown): Error | undefined } {
  const base = buildConnector({ ...tls });
  const failures = new Map<number, Error>();
  const connect: buildConnector.connector = (opts, callback) =>
    base(opts, (...args) => {
      const socket = args[1];
      socket?.on('error', (e: NodeJS.ErrnoException) => {
        const port = socket.localPort;
        if (port === undefined || !isTlsFailure(e.code ?? '')) return;
        failures.set(port, e);
        setTimeout(() => failures.delete(port), 5_000).unref();
      });
      callback(...args);
    });
  return {
    connect,
    causeOf(err) {
      const port = (err as { socket?: { localPort?: number } } | undefined)?.socket?.localPort;
      return port === undefined ? undefined : failures.get(port);
    },
  };
}

/**
 * Certificate and handshake failures: OpenSSL's verify codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 * CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT...), Node's name check (ERR_TLS_CERT_ALTNAME_INVALID)
 * and alerts from the peer (ERR_SSL_..., e.g. a client certificate the upstream requires).
 */
export function isTlsFailure(code: string): boolean {
  return code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' || code === 'UNABLE_TO_GET_ISSUER_CERT' ||
    code === 'EPROTO';
}
