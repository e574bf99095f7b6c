import { LoglakeError, hasCode } from '@loglake/core';
import type { RestCatalog } from './catalog.ts';
import { hourSpec } from './partition.ts';
import { eventSchema } from './schema.ts';
import type { CreateTableRequest, LoadedTable } from './types.ts';

/**
 * Properties of a table the sink creates: format v2 (v3 is not read by Athena and several engines
 * yet), old metadata files deleted after each commit beyond the last 100 (a commit a minute
 * otherwise leaves 1,440 `metadata.json` files a day), zstd Parquet like the rest of the lake.
 */
export const EVENT_TABLE_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({
  'format-version': '2',
  'write.metadata.delete-after-commit.enabled': 'true',
  'write.metadata.previous-versions-max': '100',
  'write.parquet.compression-codec': 'zstd',
});

export function eventTableRequest(name: string, location?: string): CreateTableRequest {
  return {
    name,
    ...(location ? { location } : {}),
    schema: eventSchema(),
    'partition-spec': hourSpec(),
    'write-order': { 'order-id': 0, fields: [] },
    properties: EVENT_TABLE_PROPERTIES,
  };
}

/**
 * Loads the event table, creating it (and its namespace) when absent. A table that exists must
 * have the event columns under their ids; otherwise the sink would write files its readers
 * misread, so it refuses to start.
 */
export async function ensureEventTable(
  catalog: RestCatalog,
  namespace: readonly string[],
  name: string,
  options: { readonly location?: string } = {},
): Promise<LoadedTable> {
  let table: LoadedTable;
  try {
    table = await catalog.loadTable(namespace, name);
  } catch (error) {
    if (!hasCode(error, 'LOGLAKE_ICEBERG_NOT_FOUND')) throw error;
    await catalog.ensureNamespace(namespace);
    try {
      return await catalog.createTable(namespace, eventTableRequest(name, options.location));
    } catch (createError) {
      // Another writer created it in between.
      if (!hasCode(createError, 'LOGLAKE_ICEBERG_ALREADY_EXISTS')) throw createError;
      table = await catalog.loadTable(namespace, name);
    }
  }
  checkEventColumns(table, `${namespace.join('.')}.${name}`);
  return table;
}

function checkEventColumns(table: LoadedTable, what: string): void {
  const { metadata } = table;
  const current = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  const problems: string[] = [];
  for (const want of eventSchema().fields) {
    const got = current?.fields.find((f) => f.id === want.id);
    if (!got) problems.push(`no column with id ${want.id} (${want.name})`);
    else if (got.name !== want.name || got.type !== want.type) {
      problems.push(
        `id ${want.id} is ${got.name}: ${String(got.type)}, expected ${want.name}: ${want.type}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new LoglakeError(
      'LOGLAKE_ICEBERG_INVALID_METADATA',
      `table ${what} does not have the event columns: ${problems.join('; ')}`,
    );
  }
}
