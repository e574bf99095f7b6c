import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { findRepoRoot } from '@loglake/stack';
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

/** Every loglake metric the services export (docs/metrics.md); histograms are listed by base name. */
const COUNTERS_AND_GAUGES = [
  'loglake_gateway_requests_total',
  'loglake_gateway_request_bytes_total',
  'loglake_gateway_events_received_total',
  'loglake_gateway_events_accepted_total',
  'loglake_gateway_events_rejected_total',
  'loglake_gateway_requests_refused_total',
  'loglake_gateway_dlq_events_total',
  'loglake_gateway_produced_records_total',
  'loglake_gateway_produced_bytes_total',
  'loglake_gateway_inflight_bytes',
  'loglake_gateway_inflight_events',
  'loglake_gateway_inflight_budget_bytes',
  'loglake_gateway_inflight_budget_events',
  'loglake_gateway_kafka_up',
  'loglake_gateway_ready',
  'loglake_sink_records_read_total',
  'loglake_sink_bytes_read_total',
  'loglake_sink_rows_written_total',
  'loglake_sink_bytes_written_total',
  'loglake_sink_files_written_total',
  'loglake_sink_flushes_total',
  'loglake_sink_buffered_bytes',
  'loglake_sink_buffer_budget_bytes',
  'loglake_sink_flushes_in_flight',
  'loglake_sink_paused_partitions',
  'loglake_sink_assigned_partitions',
  'loglake_sink_upload_retries_total',
  'loglake_sink_dead_letters_total',
  'loglake_sink_intents_followed_total',
  'loglake_sink_intent_conflicts_total',
  'loglake_sink_oldest_pending_event_age_seconds',
  'loglake_sink_flush_max_age_seconds',
  'loglake_sink_committed_offset',
  'loglake_sink_consumer_lag_records',
  'loglake_sink_consumer_lag_seconds',
  'loglake_sink_log_end_offset',
  'loglake_generator_events_sent_total',
  'loglake_generator_events_accepted_total',
  'loglake_generator_events_rejected_total',
  'loglake_generator_retries_total',
  'loglake_generator_target_rate',
];
const HISTOGRAMS = [
  'loglake_gateway_produce_duration_seconds',
  'loglake_sink_flush_duration_seconds',
  'loglake_sink_file_size_bytes',
  'loglake_sink_file_rows',
  'loglake_generator_request_duration_seconds',
];
const KNOWN_SERIES = new Set([
  ...COUNTERS_AND_GAUGES,
  ...HISTOGRAMS.flatMap((h) => ['_bucket', '_sum', '_count'].map((s) => h + s)),
]);

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
  it('uses only loglake metrics that the services export', () => {
    const unknown = allExpressions(root).flatMap(({ source, expr }) =>
      loglakeMetricNames(expr)
        .filter((name) => !KNOWN_SERIES.has(name))
        .map((name) => `${source}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
