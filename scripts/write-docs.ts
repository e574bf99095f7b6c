// Writes the generated parts of docs/: the OpenAPI document and the event field table.
// `pnpm docs` runs it; test/static/docs.test.ts fails when docs/ and the code disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFieldTable } from '@loglake/events';
import { openApiDocument } from '@loglake/ingest';
import { findRepoRoot } from '@loglake/stack';

const root = findRepoRoot();
writeFileSync(
  join(root, 'docs', 'openapi.json'),
  `${JSON.stringify(openApiDocument(), null, 2)}\n`,
);

const eventsDoc = join(root, 'docs', 'events.md');
const text = readFileSync(eventsDoc, 'utf8');
const begin = '<!-- fields:begin -->';
const end = '<!-- fields:end -->';
const before = text.slice(0, text.indexOf(begin) + begin.length);
const after = text.slice(text.indexOf(end));
writeFileSync(eventsDoc, `${before}\n${renderFieldTable()}\n${after}`);
console.log('wrote docs/openapi.json and the field table of docs/events.md');
