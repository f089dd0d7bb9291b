import type { GatewayConfig } from '../config/schema.js';
import { redactUrl } from '../secrets/redact-url.js';

export interface BannerFacts {
  proxy: string;
  admin: string;
  /** The config file, or undefined for the embedded defaults. */
  source: string | undefined;
  /** The forwarder in use (one process), or undefined. */
  forwarder?: string;
  /** server.workers > 1: how many processes share the port. */
  workers?: number;
  /** The embedded demo upstream's URL, when it runs. */
  demoUrl?: string;
}

/**
 * The human banner `hlgw serve` prints on stderr (stdout carries only JSON log lines), for one process and for the cluster primary
 * alike. Every URL goes through redactUrl: an upstream URL may carry a password.
 */
export function startBanner(config: GatewayConfig, f: BannerFacts): string {
  return [
    '',
    `hlgw is listening on ${f.proxy}  (metrics and health: ${f.admin}/metrics, /healthz, /readyz)`,
    f.workers === undefined ? '' : `  workers:  ${f.workers} processes sharing the port (node:cluster)`,
    `  config:   ${f.source ?? '<embedded defaults>'}`,
    `  upstream: ${upstreamForLogs(config)}` + (f.forwarder ? ` via ${f.forwarder}` : '') + (f.demoUrl ? `  <- the embedded demo echo API (${f.demoUrl})` : ''),
    `  store:    ${config.store.type}${config.store.type === 'sqlite' ? ` (${config.store.path})` : ''}`,
    config.tracing ? `  tracing:  OTLP to ${redactUrl(config.tracing.otlp.url)}, sampleRatio ${config.tracing.sampleRatio}` : '',
    f.demoUrl
      ? '  To front the real Highlight API: set upstream.url to it and demoUpstream.enabled: false in your config, then `hlgw serve --config <file>`.'
      : '',
    f.demoUrl
      ? `  Try:  curl ${f.proxy}/WS2/ping -u user@acme.example:acme-user-demo   (README.md walks through tokens)`
      : '',
    '',
  ].filter((l) => l !== '').join('\n');
}

/** The upstream URL as logs and banners show it: password masked. */
export function upstreamForLogs(config: GatewayConfig): string {
  return redactUrl(config.upstream.url);
}
