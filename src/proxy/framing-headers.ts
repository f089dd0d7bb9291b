import type { IncomingHttpHeaders } from 'node:http';
import type { Framing } from '../http/check-framing.js';

/**
 * Rebuilds the framing headers of the upstream request from what Node parsed (RFC 9112 §6.3),
 * whatever `headers` says by now: exactly one of Content-Length and Transfer-Encoding: chunked,
 * or neither when there is no body. With `chunked` the client's chunk sizes are not kept: Node
 * hands over the decoded bytes and the forwarder's HTTP client chunks them again.
 *
 * `teHeader` false leaves Transfer-Encoding out for clients that frame a stream body themselves
 * and refuse the header (undici).
 */
export function setFramingHeaders(headers: IncomingHttpHeaders, framing: Framing, teHeader: boolean): void {
  if (framing === 'none') {
    if (headers['content-length'] !== undefined) delete headers['content-length'];
    if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding'];
  } else if (framing === 'chunked') {
    if (headers['content-length'] !== undefined) delete headers['content-length'];
    if (teHeader) headers['transfer-encoding'] = 'chunked';
    else if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding'];
  } else {
    if (headers['content-length'] !== framing) headers['content-length'] = framing; // a store costs more than the compare
    if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding'];
  }
}
