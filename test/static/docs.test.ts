import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderFieldTable } from '@loglake/events';
import { openApiDocument } from '@loglake/ingest';
import { findRepoRoot } from '@loglake/stack';
import { renderMetricTable } from '../../scripts/metrics-catalogue.ts';

const root = findRepoRoot();

describe('generated docs are current (pnpm docs:write)', () => {
  it('docs/openapi.json is the document the gateway serves', () => {
    expect(JSON.parse(readFileSync(join(root, 'docs', 'openapi.json'), 'utf8'))).toEqual(
      openApiDocument(),
    );
  });

  it('docs/events.md lists the fields declared in packages/events', () => {
    expect(readFileSync(join(root, 'docs', 'events.md'), 'utf8')).toContain(renderFieldTable());
  });

  it('docs/metrics.md lists every metric the services declare', async () => {
    expect(readFileSync(join(root, 'docs', 'metrics.md'), 'utf8')).toContain(
      await renderMetricTable(),
    );
  });
});
