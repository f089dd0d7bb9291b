import type { Credential } from '../auth/classify-authorization.js';
import type { ErrorCode } from '../errors.js';

/** What one access line says (src/http/access-log.ts fills it once the response is done). */
export interface AccessFields {
  /** Only an id that passed the log's sane-id check: written as it is. */
  requestId: string | undefined;
  method: string | undefined;
  path: string;
  status: number | undefined;
  /** The next three are the gateway's own constants: written as they are. */
  auth: Credential['kind'];
  outcome: 'forwarded' | 'rejected' | 'endpoint';
  reason: ErrorCode | undefined;
  upstreamStatus: number | undefined;
  upstreamMs: number | undefined;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  client: string;
  tokenId: string | undefined;
  companyId: string | undefined;
  userId: string | undefined;
  aborted: true | undefined;
}

/**
 * The line pino wrote for `log.child({ log: 'access' }).info(fields, 'access')`, built directly:
 * level, time, service, log, the defined fields in a fixed order, msg. Every string that comes from
 * the request (method, path, client, ids) goes through JSON.stringify, so quotes, control
 * characters and lone surrogates are escaped; numbers are finite. Measured against pino's
 * serialisation in `node bench/micro/access-line.mjs`.
 */
export function accessLine(f: AccessFields, time: number): string {
  let s = `{"level":30,"time":${time},"service":"hlgw","log":"access"`;
  if (f.requestId !== undefined) s += `,"requestId":"${f.requestId}"`;
  if (f.method !== undefined) s += `,"method":${JSON.stringify(f.method)}`;
  s += `,"path":${JSON.stringify(f.path)}`;
  if (f.status !== undefined) s += `,"status":${f.status}`;
  s += `,"auth":"${f.auth}","outcome":"${f.outcome}"`;
  if (f.reason !== undefined) s += `,"reason":"${f.reason}"`;
  if (f.upstreamStatus !== undefined) s += `,"upstreamStatus":${f.upstreamStatus}`;
  if (f.upstreamMs !== undefined) s += `,"upstreamMs":${f.upstreamMs}`;
  s += `,"durationMs":${f.durationMs},"bytesIn":${f.bytesIn},"bytesOut":${f.bytesOut},"client":${JSON.stringify(f.client)}`;
  if (f.tokenId !== undefined) s += `,"tokenId":${JSON.stringify(f.tokenId)}`;
  if (f.companyId !== undefined) s += `,"companyId":${JSON.stringify(f.companyId)}`;
  if (f.userId !== undefined) s += `,"userId":${JSON.stringify(f.userId)}`;
  if (f.aborted !== undefined) s += ',"aborted":true';
  return s + ',"msg":"access"}\n';
}
