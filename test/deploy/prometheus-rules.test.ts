import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { VALIDATION_LABELS } from '../../src/metrics/metrics.js';
import { exportedMetricNames } from '../support/exported-metrics.js';
import { promtool } from '../support/promtool.js';
import { metricNamesIn } from '../support/promql-metrics.js';
import { lacks } from '../support/requires.js';

const DIR = resolve(import.meta.dirname, '../../deploy/prometheus');
const RULES = resolve(DIR, 'hlgw-alerts.yaml');
const TESTS = resolve(DIR, 'hlgw-alerts.test.yaml');

/** Where runbook_url points when Prometheus has no `hlgw_runbook_base` external label. */
const DEFAULT_RUNBOOK_BASE = 'https://hlgw-docs.invalid/';
/** Series Prometheus itself writes for every target, which the gateway does not export. */
const PROMETHEUS_SERIES = new Set(['up']);

interface Rule { alert: string; expr: string; annotations: Record<string, string> }
const rules: Rule[] = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe.skipIf(lacks('promtool'))('deploy/prometheus/hlgw-alerts.yaml', () => {
  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('passes its unit tests (promtool test rules: firing and not firing)', () => {
    const r = promtool(['test', 'rules', TESTS]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('has, for every alert, a unit test in which it fires', () => {
    const tests = parse(readFileSync(TESTS, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const fired = new Set(tests.tests.flatMap((t) => t.alert_rule_test).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    expect(rules.map((r) => r.alert).filter((a) => !fired.has(a))).toEqual([]);
  });
});

describe('every alert has its runbook entry', () => {
  const runbook = readFileSync(resolve(DIR, '../../docs/OPERATIONS.md'), 'utf8');
  it.each(rules.map((r) => [r.alert, r.annotations.runbook_url] as const))('%s', (alert, url) => {
    expect(runbook).toContain(`\n### ${alert}\n`);
    const base = `{{ with $externalLabels.hlgw_runbook_base }}{{ . }}{{ else }}${DEFAULT_RUNBOOK_BASE}{{ end }}`;
    expect(url).toBe(`${base}docs/OPERATIONS.md#${alert.toLowerCase()}`);
  });
});

describe('the runbook explains every way a Bearer validation can fail', () => {
  const runbook = readFileSync(resolve(DIR, '../../docs/OPERATIONS.md'), 'utf8');
  const section = runbook.split('\n### HlgwBearerRejectionsSpike\n')[1]!.split('\n### ')[0]!;
  it.each(VALIDATION_LABELS.filter((l) => l !== 'valid'))('%s', (label) => {
    expect(section).toContain(`\`${label}\``);
  });
});

describe.skipIf(lacks('redis-server'))('the alert rules read only what the gateway exports', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await exportedMetricNames();
  });

  it.each(rules.map((r) => [r.alert, r.expr] as const))('%s', (_alert, expr) => {
    const names = metricNamesIn(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !exported.has(n) && !PROMETHEUS_SERIES.has(n))).toEqual([]);
  });
});
