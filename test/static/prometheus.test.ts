import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Registry } from 'prom-client';
import { createGatewayMetrics } from '@loglake/ingest';
import { createSinkMetrics } from '@loglake/lake';
import { findRepoRoot } from '@loglake/stack';
import { createGeneratorMetrics } from '@loglake/traffic';
import {
  allExpressions,
  allPanels,
  dashboardExpressions,
  dashboardFiles,
  type DashboardPanel,
  DASHBOARDS_DIR,
  ruleFiles,
  RULES_DIR,
} from '../support/promql.ts';

// Alert rules, their unit tests and the Grafana dashboards, checked with promtool (Debian's
// `prometheus` package, which .ci/run installs). No Prometheus server is started here.
const root = findRepoRoot();

/** Every loglake series the services export, from their own metric declarations (one definition). */
async function exportedSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const create of [createGatewayMetrics, createSinkMetrics, createGeneratorMetrics]) {
    const registry = new Registry();
    create(registry);
    for (const m of await registry.getMetricsAsJSON()) {
      const suffixes = String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
      for (const suffix of suffixes) names.add(`${m.name}${suffix}`);
    }
  }
  return names;
}

const RULES_FILE = join(RULES_DIR, 'loglake.yml');
const RULE_TESTS_FILE = join('infra', 'prometheus', 'tests', 'loglake.test.yml');

/** Runs promtool from the repo root; fails (never skips) when it is missing. */
function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (run.error)
    throw new Error(
      `promtool ${args.join(' ')} did not run (${run.error.message}); install Debian's prometheus package`,
    );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function expectPromtoolOk(args: string[]): string {
  const { status, output } = promtool(args);
  expect(status, `promtool ${args.join(' ')}\n${output}`).toBe(0);
  return output;
}

/** Metric names in an expression, ignoring string literals (label values such as "loglake-sink"). */
function loglakeMetricNames(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  return [...code.matchAll(/\bloglake_[a-zA-Z0-9_]+/g)].map((m) => m[0]);
}

interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  templating?: { list?: unknown[] };
  panels?: DashboardPanel[];
}
const dashboards = dashboardFiles(root).map((file) => ({
  file,
  json: JSON.parse(readFileSync(join(root, DASHBOARDS_DIR, file), 'utf8')) as Dashboard,
}));

describe('Prometheus config and alert rules', () => {
  it('promtool check config accepts prometheus.yml and loads the rule files', () => {
    const output = expectPromtoolOk([
      'check',
      'config',
      join('infra', 'prometheus', 'prometheus.yml'),
    ]);
    expect(output).toContain('loglake.yml');
  });

  it('promtool check rules accepts the rule files', () => {
    expect(ruleFiles(root)).toContain('loglake.yml');
    for (const file of ruleFiles(root)) expectPromtoolOk(['check', 'rules', join(RULES_DIR, file)]);
  });

  it('promtool test rules passes the unit tests', () => {
    expectPromtoolOk(['test', 'rules', RULE_TESTS_FILE]);
  });

  it('every alert has for, a severity, a summary and a description, and a firing and a quiet test', () => {
    const rules = (
      parse(readFileSync(join(root, RULES_FILE), 'utf8')) as {
        groups: { name: string; rules: Record<string, unknown>[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    const tests = (
      parse(readFileSync(join(root, RULE_TESTS_FILE), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test ?? []);
    const alerts = rules.filter((r) => typeof r.alert === 'string');
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const rule of alerts) {
      const name = String(rule.alert);
      expect(rule, name).toMatchObject({
        for: expect.stringMatching(/^\d+[smh]$/),
        labels: { severity: expect.stringMatching(/^(critical|warning|info)$/) },
        annotations: { summary: expect.any(String), description: expect.any(String) },
      });
      expect(String(rule.expr), `${name} guards with absent()`).not.toMatch(
        /\babsent(_over_time)?\(/,
      );
      const cases = tests.filter((t) => t.alertname === name);
      expect(
        cases.some((t) => (t.exp_alerts ?? []).length > 0),
        `${name} has a firing test`,
      ).toBe(true);
      expect(
        cases.some((t) => (t.exp_alerts ?? []).length === 0),
        `${name} has a quiet test`,
      ).toBe(true);
    }
  });
});

describe('Grafana dashboards', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'loglake-dashboard-exprs-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('are the four expected ones, with unique uids and no templating variables', () => {
    expect(dashboards.map((d) => d.file)).toEqual(
      expect.arrayContaining(['gateway.json', 'kafka-lag.json', 'overview.json', 'sink-lake.json']),
    );
    const uids = dashboards.map((d) => d.json.uid);
    for (const uid of uids) expect(uid).toMatch(/^loglake-[a-z0-9-]+$/);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, json } of dashboards) {
      expect(json.schemaVersion, file).toBeGreaterThanOrEqual(36);
      expect(json.templating?.list ?? [], file).toEqual([]);
    }
  });

  it('use the prometheus datasource on every panel and target, with unique panel ids', () => {
    for (const { file, json } of dashboards) {
      const panels = allPanels(json.panels);
      expect(panels.length, file).toBeGreaterThan(0);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
      for (const panel of panels) {
        const where = `${file}: panel '${panel.title}'`;
        expect(panel.datasource, where).toEqual({ type: 'prometheus', uid: 'prometheus' });
        if (panel.type === 'row') continue;
        expect(['timeseries', 'stat'], where).toContain(panel.type);
        expect(panel.targets?.length, where).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(target.datasource, `${where} ref ${target.refId}`).toEqual({
            type: 'prometheus',
            uid: 'prometheus',
          });
          expect(target.expr, `${where} ref ${target.refId}`).toMatch(/\S/);
        }
      }
    }
  });

  it('use no Grafana variable but $__rate_interval and $__range', () => {
    const exprs = dashboardExpressions(root);
    expect(exprs.length).toBeGreaterThan(40);
    for (const { source, expr } of exprs) expect(expr, source).not.toContain('$');
  });

  it('have expressions that promtool parses (as recording rules)', () => {
    const exprs = dashboardExpressions(root);
    const file = join(tmp, 'dashboards.yml');
    writeFileSync(
      file,
      stringify({
        groups: [
          {
            name: 'loglake_dashboards',
            rules: exprs.map((e, i) => ({ record: `loglake_dashboard_expr_${i}`, expr: e.expr })),
          },
        ],
      }),
    );
    const { status, output } = promtool(['check', 'rules', file]);
    // promtool names the rule by its record name: map it back to the panel.
    const explained = output.replace(
      /loglake_dashboard_expr_(\d+)/g,
      (m, i: string) => `${m} (${exprs[Number(i)]?.source ?? '?'})`,
    );
    expect(status, explained).toBe(0);
    expect(output).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});

describe('PromQL in dashboards and alert rules', () => {
  it('uses only loglake metrics that the services export', async () => {
    const known = await exportedSeries();
    expect(known.has('loglake_sink_flush_duration_seconds_bucket')).toBe(true);
    const unknown = allExpressions(root).flatMap(({ source, expr }) =>
      loglakeMetricNames(expr)
        .filter((name) => !known.has(name))
        .map((name) => `${source}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
