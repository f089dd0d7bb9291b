import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { exportedMetricNames } from '../support/exported-metrics.js';
import { promtool } from '../support/promtool.js';
import { metricNamesIn } from '../support/promql-metrics.js';
import { lacks } from '../support/requires.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DASHBOARD = resolve(ROOT, 'deploy/grafana/hlgw-dashboard.json');

interface Target { expr: string; refId: string; datasource?: { uid: string } }
interface Panel { id: number; type: string; title: string; datasource?: { type: string; uid: string }; targets?: Target[]; gridPos: object }
interface Variable { name: string; type: string; query: unknown }
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { schemaVersion: number; uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } };
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const targets = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** Grafana's variables, replaced by what Prometheus would receive. */
function interpolate(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$__range', '1h').replaceAll('$instance', '.*');
}

describe('deploy/grafana/hlgw-dashboard.json', () => {
  it('is a current dashboard JSON model with a datasource and an instance variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.get('instance')).toMatchObject({ type: 'query' });
  });

  it('queries the chosen data source and filters by the chosen instances in every panel', () => {
    for (const p of queryPanels) expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const t of targets) {
      expect(t.datasource?.uid, t.panel).toBe('${datasource}');
      for (const name of metricNamesIn(interpolate(t.expr))) expect(t.expr, `${t.panel}: ${name}`).toMatch(new RegExp(`${name}\\{[^}]*instance=~"\\$instance"`));
    }
  });

  it('has a unique id and a position for every panel', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos).toMatchObject({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) });
  });

  it.each([
    'Requests by auth and outcome', 'Requests by status class', 'Latency p50 / p99', 'Upstream latency', 'Upstream errors', 'Token validations by result',
    'Token cache hit ratio', 'Token cache entries', 'Revoked token ids', 'State lag', 'State propagation p50 / p99', 'Store up',
    'Process memory', 'Event-loop lag', 'Process CPU', 'Tokens issued and revoked',
  ])('has the panel "%s"', (title) => {
    expect(queryPanels.map((p) => p.title)).toContain(title);
  });

  it('has every panel an alert annotation points to', () => {
    const rules = parse(readFileSync(resolve(ROOT, 'deploy/prometheus/hlgw-alerts.yaml'), 'utf8')) as { groups: { rules: { alert: string; annotations: { dashboard: string } }[] }[] };
    const titles = new Set(queryPanels.map((p) => p.title));
    for (const r of rules.groups.flatMap((g) => g.rules)) {
      const named = r.annotations.dashboard.replace(/^hlgw \/ /, '').split(', ');
      for (const title of named) expect(titles.has(title), `${r.alert} → "${title}"`).toBe(true);
    }
  });
});

describe.skipIf(lacks('promtool'))('the dashboard\'s PromQL under promtool', () => {
  it('every expression is valid (promtool check rules on a generated rules file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlgw-dashboard-'));
    try {
      const file = join(dir, 'dashboard-queries.yaml');
      const rules = targets.map((t, i) => ({ record: `hlgw_dashboard:query_${i}`, expr: interpolate(t.expr) }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const r = promtool(['check', 'rules', file]);
      expect(r.output).toContain(`SUCCESS: ${targets.length} rules found`);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(lacks('redis-server'))('the dashboard names only metrics the gateway exports', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await exportedMetricNames();
  });

  it('catches a misspelt name (the check itself works)', () => {
    expect(metricNamesIn('sum by (le) (rate(hlgw_request_duratoin_seconds_bucket{a="b"}[5m]))').filter((n) => !exported.has(n))).toEqual(['hlgw_request_duratoin_seconds_bucket']);
  });

  it.each(targets.map((t) => [`${t.panel} ${t.refId}`, t.expr] as const))('%s', (_name, expr) => {
    const names = metricNamesIn(interpolate(expr));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
  });
});
