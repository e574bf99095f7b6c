/**
 * `pnpm lake:expire`: removes old snapshots of the Iceberg table and the files only they
 * referenced (docs/iceberg.md, "Snapshot expiry").
 */
import { expireSnapshots } from '@loglake/iceberg';
import { loadExpireConfig } from './config.ts';
import { helpText, runCommand } from './run.ts';

const HELP =
  helpText(`pnpm lake:expire [options]: remove old snapshots and the files only they referenced

  --older-than <duration>   snapshots older than this may go (default 7d)
  --retain-last <n>         always keep the newest n snapshots of main (default 1); the current
                            snapshot and every branch or tag head are never removed
  --keep-files              remove the snapshots but delete no file (orphan cleanup can later)
  --dry-run                 print what would be removed, change nothing
  --help                    this text`);

process.exitCode = await runCommand({
  name: 'lake:expire',
  help: HELP,
  load: loadExpireConfig,
  argv: process.argv.slice(2),
  env: process.env,
  run: (target, c) =>
    expireSnapshots(target, {
      olderThanMs: c.olderThanMs,
      retainLast: c.retainLast,
      deleteFiles: c.deleteFiles,
      dryRun: c.dryRun,
    }),
  summary: (r, c) =>
    `lake:expire${c.dryRun ? ' (dry run)' : ''}: ${r.expiredSnapshotIds.length} snapshots; ` +
    `${r.dataFiles.length} data files, ${r.manifests.length} manifests, ${r.manifestLists.length} manifest lists ` +
    `${r.deleted ? 'deleted' : 'unreferenced (not deleted)'}` +
    `${r.outsideLocation.length > 0 ? `; ${r.outsideLocation.length} outside the table location left alone` : ''}`,
});
