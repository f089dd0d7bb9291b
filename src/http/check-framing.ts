import type { IncomingMessage } from 'node:http';
import { normalizeHeaderName } from '../auth/strip-identity.js';
import { rejection, type GatewayError } from '../errors.js';
import { connectionListed } from './forwarded-headers.js';

/**
 * How Node's parser delimited the request body (RFC 9112 §6.3): no body, chunked, or the
 * Content-Length value exactly as parsed (decimal digits: llhttp refuses anything else).
 * Computed once, first thing on the hot path, and handed to the forwarder, which rebuilds the
 * upstream request's framing headers from it alone (src/proxy/framing-headers.ts): whatever a
 * later step does to `req.headers`, the upstream gets the body Node read, framed as Node read it.
 */
export type Framing = 'none' | 'chunked' | `${bigint}`;

export interface FramingCheckOptions {
  /** Node keeps at most this many headers in `req.headers` (`server.maxHeadersCount`). */
  maxHeaders: number;
  /** The identity namespace (configured names and `identity.alsoStrip`). */
  identityNames: readonly string[];
}

/**
 * Headers a client may not declare hop-by-hop by naming them in `Connection` (RFC 9110 §7.6.1
 * lets any name be listed; the gateway then drops it). Dropping the framing headers would send
 * the body Node read unframed, which the upstream parses as a second request; dropping `Host`
 * or `Authorization` would make the gateway decide on a header the upstream never sees; the
 * identity namespace and the forwarding headers are the gateway's own to set.
 */
const PROTECTED = [
  'content-length', 'transfer-encoding', 'host', 'authorization',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'x-request-id',
];

/**
 * Step 0a of the hot path: refuses a request whose framing the upstream could read differently
 * from Node, and returns the framing otherwise. Node's parser (llhttp, strict) has already
 * refused CL+TE together, duplicate or non-numeric Content-Length, Transfer-Encoding whose last
 * coding is not chunked, obs-fold and bare LF (the smuggling suite pins each one).
 */
export function createFramingCheck(o: FramingCheckOptions): (req: IncomingMessage) => Framing | GatewayError {
  // rawHeaders holds every name and value; req.headers only the first maxHeaders of them.
  const maxRaw = o.maxHeaders * 2;
  const protectedNames = new Set([...PROTECTED, ...o.identityNames.map(normalizeHeaderName)]);

  return function checkFraming(req) {
    // A header past the limit is silently missing from req.headers, Content-Length included,
    // while Node still reads the body it announced: refuse instead (RFC 6585 §5).
    if (req.rawHeaders.length > maxRaw) return rejection('header_fields_too_large');
    const h = req.headers;
    const connection = h.connection;
    if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') {
      for (const name of connectionListed(connection)) {
        if (protectedNames.has(name) || (name.includes('_') && protectedNames.has(normalizeHeaderName(name)))) {
          return rejection('connection_header_invalid');
        }
      }
    }
    const te = h['transfer-encoding'];
    if (te === undefined) {
      const cl = h['content-length'];
      return cl === undefined ? 'none' : (cl as `${bigint}`);
    }
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request means faulty framing.
    if (req.httpVersionMinor === 0) return rejection('request_framing_invalid');
    // Node decodes chunked and nothing else; another coding would reach the upstream still
    // applied but no longer declared. RFC 9112 §6.1: a coding the server does not apply → 501.
    if (te !== 'chunked' && te.toLowerCase() !== 'chunked') return rejection('transfer_coding_unsupported');
    return 'chunked';
  };
}
