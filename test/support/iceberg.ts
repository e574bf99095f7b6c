import { afterAll, beforeAll, inject } from 'vitest';
import { stackDown, stackUp, type IcebergCatalogInfo } from '@loglake/stack';

/**
 * Starts the Iceberg REST catalog of the local stack for one test file (beside the S3 server the
 * global setup started) and stops it afterwards if this file started it. The catalog is a JVM of
 * 150-250 MB, so only the files that need it pay for it.
 */
export function useIcebergCatalog(): () => IcebergCatalogInfo {
  let info: IcebergCatalogInfo | undefined;
  let started = false;
  beforeAll(async () => {
    const up = await stackUp({
      kafka: [],
      iceberg: true,
      prometheus: 'off',
      log: (m) => process.stderr.write(`[stack] ${m}\n`),
    });
    info = up.iceberg;
    started = up.started.includes('iceberg');
  });
  afterAll(async () => {
    if (started) await stackDown({ only: ['iceberg'] });
  });
  return () => {
    if (!info) throw new Error('the Iceberg catalog did not start');
    return info;
  };
}

/** The test's S3 location as an `s3://bucket/prefix` URI (the catalog writes metadata there). */
export function s3Uri(prefix: string, ...parts: string[]): string {
  return [`s3://${inject('s3').bucket}`, prefix, ...parts].join('/');
}
