/**
 * `pnpm lake:compact`: rewrites the small files of closed hours of the Iceberg table into files of
 * the target size and commits a `replace` snapshot (docs/iceberg.md, "Compaction").
 */
import { compactTable } from '@loglake/iceberg';
import { loadCompactConfig } from './config.ts';
import { helpText, runCommand } from './run.ts';

const HELP = helpText(`pnpm lake:compact [options]: compact the small files of closed hours

  --target-size <size>      size of the files to write (default 128MiB)
  --min-file-size <size>    files at least this large are left alone (default 75% of the target)
  --min-input-files <n>     rewrite a group only with at least n files (default 2)
  --grace <duration>        an hour is closed once it ended this long ago (default 2h)
  --threads <n>             DuckDB threads for the rewrite (default 1)
  --memory-limit-mb <n>     DuckDB memory limit; it spills to --work-dir beyond it (default 512)
  --work-dir <path>         local folder for downloads and written files (default a temp folder)
  --dry-run                 print the plan, change nothing
  --help                    this text`);

process.exitCode = await runCommand({
  name: 'lake:compact',
  help: HELP,
  load: loadCompactConfig,
  argv: process.argv.slice(2),
  env: process.env,
  run: (target, c) =>
    compactTable(target, {
      workDir: c.workDir,
      targetFileSizeBytes: c.targetFileSizeBytes,
      ...(c.minFileSizeBytes === undefined ? {} : { minFileSizeBytes: c.minFileSizeBytes }),
      minInputFiles: c.minInputFiles,
      graceMs: c.graceMs,
      threads: c.threads,
      memoryLimitMb: c.memoryLimitMb,
      dryRun: c.dryRun,
      log: (event, fields) =>
        process.stderr.write(
          `${JSON.stringify({ event, ...fields }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
        ),
    }),
  summary: (r, c) =>
    c.dryRun
      ? `lake:compact (dry run): ${r.plannedGroups} groups planned, ${r.groups.reduce((n, g) => n + g.files, 0)} files`
      : `lake:compact: ${r.filesRemoved} files → ${r.filesAdded} (${r.rowsRewritten} rows, ${r.bytesIn} → ${r.bytesOut} bytes) ` +
        `in ${r.durationMs} ms, ${r.committedGroups} of ${r.plannedGroups} groups committed` +
        `${r.abandonedGroups > 0 ? `, ${r.abandonedGroups} abandoned (another writer replaced their files)` : ''}` +
        `${r.snapshotId === null ? '' : `; snapshot ${r.snapshotId}`}`,
});
