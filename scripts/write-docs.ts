// Writes the generated parts of docs/: the OpenAPI document, the event field table and the metric table.
// `pnpm docs` runs it; test/static/docs.test.ts fails when docs/ and the code disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFieldTable } from '@loglake/events';
import { openApiDocument } from '@loglake/ingest';
import { findRepoRoot } from '@loglake/stack';
import { renderMetricTable } from './metrics-catalogue.ts';

const root = findRepoRoot();
writeFileSync(
  join(root, 'docs', 'openapi.json'),
  `${JSON.stringify(openApiDocument(), null, 2)}\n`,
);

/** Replaces what lies between `<!-- <marker>:begin -->` and `<!-- <marker>:end -->`. */
function writeBetween(file: string, marker: string, content: string): void {
  const text = readFileSync(file, 'utf8');
  const begin = `<!-- ${marker}:begin -->`;
  const end = `<!-- ${marker}:end -->`;
  const before = text.slice(0, text.indexOf(begin) + begin.length);
  const after = text.slice(text.indexOf(end));
  writeFileSync(file, `${before}\n${content}\n${after}`);
}

writeBetween(join(root, 'docs', 'events.md'), 'fields', renderFieldTable());
writeBetween(join(root, 'docs', 'metrics.md'), 'metrics', await renderMetricTable());
console.log(
  'wrote docs/openapi.json, the field table of docs/events.md and the metric table of docs/metrics.md',
);
