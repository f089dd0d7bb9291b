import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rejection } from '../errors.js';
import { requestIdOf } from '../http/forwarded-headers.js';
import type { ObservabilityPart } from './observability-part.js';
import type { GatewayContext } from './context.js';
import type { Endpoints } from './endpoints-part.js';
import { closeServer, listenOn } from './listen.js';

/** `decision.port`: a listener of its own for an ingress's sub-requests, answering `{prefix}/verify` and nothing else. */
export interface DecisionPart {
  /** Binds when `decision.port` is set; resolves with its URL, or undefined when off. */
  listen(): Promise<string | undefined>;
  stop(): Promise<void>;
}

export function buildDecision(ctx: GatewayContext, obs: ObservabilityPart, endpoints: Endpoints): DecisionPart {
  const { config, errors } = ctx;
  const verifyPath = `${config.endpoints.prefix}/verify`;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    // The proxy path's X-Request-Id rule holds here too (step 1 of src/gateway/handle-request.ts).
    req.headers['x-request-id'] = requestIdOf(req.headers['x-request-id']);
    if ((q === -1 ? url : url.slice(0, q)) === verifyPath) return endpoints.handle(req, res);
    obs.accessLog.refused(req, 'not_found');
    errors.send(res, rejection('not_found'));
  };
  const server: Server | undefined = config.decision.port === undefined ? undefined : createServer(obs.accessLog.wrap(handler));
  return {
    async listen() {
      return server ? listenOn(server, config.decision.host, config.decision.port!, 'decision.port') : undefined;
    },
    async stop() {
      if (server) await closeServer(server);
    },
  };
}
