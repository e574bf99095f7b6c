import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoglakeError, errorMessage, type Env } from '@loglake/core';
import {
  DEFAULT_COMPACTION_GRACE_MS,
  DEFAULT_COMPACTION_MEMORY_LIMIT_MB,
  DEFAULT_COMPACTION_THREADS,
  DEFAULT_TARGET_FILE_SIZE_BYTES,
  MIN_ORPHAN_AGE_MS,
  parseIcebergEnv,
  type IcebergTableConfig,
} from '@loglake/iceberg';
import { parseS3Env, type S3ClientConfig } from '@loglake/object-store';

/** The table and S3: the sink's `SINK_ICEBERG_*` and `S3_*` variables, read here once. */
export interface TableAccess {
  readonly iceberg: IcebergTableConfig;
  readonly s3: S3ClientConfig;
}

const UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `90s`, `30m`, `2h`, `7d`, `500ms`: a duration in milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m?.[1] || !m[2])
    throw new LoglakeError(
      'LOGLAKE_CONFIG_INVALID',
      `${what}: "${text}" is not a duration such as 2h or 7d`,
    );
  return Math.round(Number(m[1]) * (UNITS_MS[m[2]] ?? 0));
}

const UNITS_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `134217728`, `128MiB`, `100MB`: a size in bytes. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS_BYTES[(m?.[2] ?? 'x').toLowerCase()];
  if (!m?.[1] || unit === undefined)
    throw new LoglakeError(
      'LOGLAKE_CONFIG_INVALID',
      `${what}: "${text}" is not a size such as 128MiB`,
    );
  return Math.round(Number(m[1]) * unit);
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new LoglakeError(
      'LOGLAKE_CONFIG_INVALID',
      `${what}: "${text}" is not a positive integer`,
    );
  return n;
}

function parse(argv: readonly string[], options: ParseArgsOptionsConfig) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      options: { ...options, help: { type: 'boolean' } },
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new LoglakeError('LOGLAKE_CONFIG_INVALID', errorMessage(error));
  }
}

function access(env: Env): TableAccess {
  return Object.freeze({ iceberg: parseIcebergEnv(env), s3: parseS3Env(env) });
}

export interface CompactConfig extends TableAccess {
  readonly targetFileSizeBytes: number;
  readonly minFileSizeBytes?: number;
  readonly minInputFiles: number;
  readonly graceMs: number;
  readonly threads: number;
  readonly memoryLimitMb: number;
  readonly workDir: string;
  readonly dryRun: boolean;
}

export function loadCompactConfig(argv: readonly string[], env: Env): CompactConfig | 'help' {
  const v = parse(argv, {
    'target-size': { type: 'string' },
    'min-file-size': { type: 'string' },
    'min-input-files': { type: 'string' },
    grace: { type: 'string' },
    threads: { type: 'string' },
    'memory-limit-mb': { type: 'string' },
    'work-dir': { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if (v.help) return 'help';
  const str = (k: string) => v[k] as string | undefined;
  const target = str('target-size');
  const minSize = str('min-file-size');
  const grace = str('grace');
  const threads = str('threads');
  const memory = str('memory-limit-mb');
  return Object.freeze({
    ...access(env),
    targetFileSizeBytes: target
      ? parseSize(target, '--target-size')
      : DEFAULT_TARGET_FILE_SIZE_BYTES,
    ...(minSize ? { minFileSizeBytes: parseSize(minSize, '--min-file-size') } : {}),
    minInputFiles: positiveInt(str('min-input-files') ?? '2', '--min-input-files'),
    graceMs: grace ? parseDuration(grace, '--grace') : DEFAULT_COMPACTION_GRACE_MS,
    threads: threads ? positiveInt(threads, '--threads') : DEFAULT_COMPACTION_THREADS,
    memoryLimitMb: memory
      ? positiveInt(memory, '--memory-limit-mb')
      : DEFAULT_COMPACTION_MEMORY_LIMIT_MB,
    workDir: str('work-dir') ?? join(tmpdir(), `loglake-compact-${process.pid}`),
    dryRun: v['dry-run'] === true,
  });
}

export interface ExpireConfig extends TableAccess {
  readonly olderThanMs: number;
  readonly retainLast: number;
  readonly deleteFiles: boolean;
  readonly dryRun: boolean;
}

export function loadExpireConfig(argv: readonly string[], env: Env): ExpireConfig | 'help' {
  const v = parse(argv, {
    'older-than': { type: 'string' },
    'retain-last': { type: 'string' },
    'keep-files': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  });
  if (v.help) return 'help';
  return Object.freeze({
    ...access(env),
    olderThanMs: parseDuration((v['older-than'] as string | undefined) ?? '7d', '--older-than'),
    retainLast: positiveInt((v['retain-last'] as string | undefined) ?? '1', '--retain-last'),
    deleteFiles: v['keep-files'] !== true,
    dryRun: v['dry-run'] === true,
  });
}

export interface OrphansConfig extends TableAccess {
  readonly olderThanMs: number;
  readonly delete: boolean;
}

export function loadOrphansConfig(argv: readonly string[], env: Env): OrphansConfig | 'help' {
  const v = parse(argv, { 'older-than': { type: 'string' }, delete: { type: 'boolean' } });
  if (v.help) return 'help';
  const olderThanMs = parseDuration(
    (v['older-than'] as string | undefined) ?? '3d',
    '--older-than',
  );
  if (olderThanMs < MIN_ORPHAN_AGE_MS) {
    throw new LoglakeError(
      'LOGLAKE_CONFIG_INVALID',
      `--older-than: at least ${MIN_ORPHAN_AGE_MS / 3_600_000}h (a younger unreferenced file may belong to a commit still to come)`,
    );
  }
  return Object.freeze({ ...access(env), olderThanMs, delete: v.delete === true });
}
