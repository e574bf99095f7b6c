/**
 * `pnpm lake:orphans`: lists (and with --delete, deletes) files under the Iceberg table's location
 * that no metadata references and that are older than a threshold (docs/iceberg.md).
 */
import { findOrphanFiles } from '@loglake/iceberg';
import { loadOrphansConfig } from './config.ts';
import { helpText, runCommand } from './run.ts';

const HELP =
  helpText(`pnpm lake:orphans [options]: files under the table's location no snapshot references

  --older-than <duration>   only files older than this (default 3d, at least 1h: younger files may
                            belong to a commit in flight)
  --delete                  delete them (default: a dry run that lists them)
  --help                    this text`);

process.exitCode = await runCommand({
  name: 'lake:orphans',
  help: HELP,
  load: loadOrphansConfig,
  argv: process.argv.slice(2),
  env: process.env,
  run: (target, c) => findOrphanFiles(target, { olderThanMs: c.olderThanMs, delete: c.delete }),
  summary: (r) =>
    `lake:orphans: ${r.listed} files listed, ${r.referenced} referenced by the metadata, ` +
    `${r.orphans.length} orphans ${r.deleted ? 'deleted' : 'found (dry run; --delete to delete)'}, ` +
    `${r.tooYoung} unreferenced but too young`,
});
