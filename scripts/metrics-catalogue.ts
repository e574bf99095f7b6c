// The metric table of docs/metrics.md, generated from the services' own metric declarations so
// that the catalogue cannot drift from the code (test/static/docs.test.ts checks it).
import { Registry } from 'prom-client';
import { createGatewayMetrics } from '@loglake/ingest';
import { createSinkMetrics } from '@loglake/lake';
import { createGeneratorMetrics } from '@loglake/traffic';

interface Described {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

export async function renderMetricTable(): Promise<string> {
  const sections: [string, (r: Registry) => unknown][] = [
    ['gateway', createGatewayMetrics],
    ['sink', createSinkMetrics],
    ['generator', createGeneratorMetrics],
  ];
  const rows = [
    '| service | metric | type | labels | meaning |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [service, create] of sections) {
    const registry = new Registry();
    create(registry);
    for (const json of await registry.getMetricsAsJSON()) {
      const metric = registry.getSingleMetric(json.name) as unknown as Described;
      const labels = (metric.labelNames ?? []).map((l) => `\`${l}\``).join(', ');
      rows.push(
        `| ${service} | \`${json.name}\` | ${json.type} | ${labels} | ${json.help.replace(/\|/g, '\\|')} |`,
      );
    }
  }
  return rows.join('\n');
}
