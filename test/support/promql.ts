import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One PromQL expression from a Grafana dashboard or a Prometheus rule file, ready to evaluate. */
export interface PromqlExpression {
  /** Where it comes from, e.g. "dashboard overview.json: panel 'Accepted events/s' ref A" or "rule LoglakeX". */
  source: string;
  expr: string;
}

export const DASHBOARDS_DIR = join('infra', 'grafana', 'dashboards');
export const RULES_DIR = join('infra', 'prometheus', 'rules');

/** The Grafana variables dashboards may use, and what stands in for them outside Grafana. */
const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __range: '5m',
};

interface Datasource {
  type?: string;
  uid?: string;
}
/** The parts of a Grafana panel that the tests read. */
export interface DashboardPanel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: Datasource;
  targets?: { refId?: string; expr?: string; datasource?: Datasource }[];
  panels?: DashboardPanel[];
}
interface Rule {
  alert?: string;
  record?: string;
  expr?: string | number;
}

/** Replaces `$__rate_interval` / `${__rate_interval}` and `$__range` / `${__range}`. */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?(__rate_interval|__range)\}?(?![\w])/g, (match, name: string) => {
    return GRAFANA_VARIABLES[name] ?? match;
  });
}

function listFiles(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort();
}

/** Every panel of a dashboard, including those nested in (collapsed) rows. */
export function allPanels(panels: readonly DashboardPanel[] | undefined): DashboardPanel[] {
  return (panels ?? []).flatMap((p) => [p, ...allPanels(p.panels)]);
}

export function dashboardFiles(root: string): string[] {
  return listFiles(join(root, DASHBOARDS_DIR), /\.json$/);
}

export function ruleFiles(root: string): string[] {
  return listFiles(join(root, RULES_DIR), /\.ya?ml$/);
}

export function dashboardExpressions(root: string): PromqlExpression[] {
  return dashboardFiles(root).flatMap((file) => {
    const dashboard = JSON.parse(readFileSync(join(root, DASHBOARDS_DIR, file), 'utf8')) as {
      panels?: DashboardPanel[];
    };
    return allPanels(dashboard.panels).flatMap((panel) =>
      (panel.targets ?? [])
        .filter((t) => typeof t.expr === 'string' && t.expr.trim() !== '')
        .map((t) => ({
          source: `dashboard ${file}: panel '${panel.title ?? ''}' ref ${t.refId ?? '?'}`,
          expr: substituteGrafanaVariables(t.expr ?? ''),
        })),
    );
  });
}

export function ruleExpressions(root: string): PromqlExpression[] {
  return ruleFiles(root).flatMap((file) => {
    const doc = parse(readFileSync(join(root, RULES_DIR, file), 'utf8')) as {
      groups?: { name: string; rules?: Rule[] }[];
    } | null;
    return (doc?.groups ?? []).flatMap((group) =>
      (group.rules ?? []).map((rule) => ({
        source: rule.alert !== undefined ? `rule ${rule.alert}` : `record ${rule.record ?? '?'}`,
        expr: String(rule.expr ?? '').trim(),
      })),
    );
  });
}

/**
 * Every PromQL expression in the Grafana dashboards (infra/grafana/dashboards/*.json, panels in
 * rows included) and the Prometheus rule files (infra/prometheus/rules/*.yml), with the Grafana
 * variables replaced (`$__rate_interval` by 1m, `$__range` by 5m) so that Prometheus can run them.
 */
export function allExpressions(root: string): PromqlExpression[] {
  return [...dashboardExpressions(root), ...ruleExpressions(root)];
}
