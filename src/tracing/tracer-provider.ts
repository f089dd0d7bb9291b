import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../log.js';

/**
 * Our own provider (never registered as the global one: no module-level state, nothing patched):
 * spans batched (BatchSpanProcessor) to OTLP over HTTP, JSON bodies. `shutdown()` flushes.
 *
 * Sampling: ParentBased around our own ratio. A parent exists only when a trusted proxy sent
 * `traceparent` (src/tracing/request-tracer.ts drops anyone else's), so a client's sampled flag is
 * never read, and a trusted proxy's is followed (sampled or not), never more.
 */
export function createTracerProvider(t: NonNullable<GatewayConfig['tracing']>, log: Logger): BasicTracerProvider {
  const exporter = new OTLPTraceExporter({ url: t.otlp.url, headers: { ...t.otlp.headers } });
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: t.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(t.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(reportingFailures(exporter, log))],
  });
}

/** The exporter, with a log line when exports start failing and one when they work again (not one per batch). */
function reportingFailures(exporter: SpanExporter, log: Logger): SpanExporter {
  let failing = false;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        const failed = result.code !== ExportResultCode.SUCCESS;
        if (failed && !failing) log.warn({ err: result.error?.message, spans: spans.length }, 'trace export failed; spans are dropped until it works again');
        else if (!failed && failing) log.info('trace export works again');
        failing = failed;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
