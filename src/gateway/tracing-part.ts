import { RequestTracer } from '../tracing/request-tracer.js';
import { createTracerProvider } from '../tracing/tracer-provider.js';
import type { GatewayContext } from './context.js';

/** `tracing`: the tracer the edge uses, or undefined when tracing is off (then nothing is built). */
export interface TracingPart {
  readonly tracer: RequestTracer | undefined;
  /** Ends the provider: the spans still queued are exported first. */
  stop(): Promise<void>;
}

export function buildTracing(ctx: GatewayContext): TracingPart {
  const t = ctx.config.tracing;
  if (t === undefined) return { tracer: undefined, stop: () => Promise.resolve() };
  const provider = createTracerProvider(t, ctx.log);
  const tracer = new RequestTracer(provider.getTracer('hlgw'), ctx.trustedProxies, new URL(ctx.config.upstream.url).hostname);
  return { tracer, stop: () => provider.shutdown() };
}
