import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureMavenJars } from './downloads.ts';
import { stackPaths } from './paths.ts';
import { ensurePythonVenv } from './python-venv.ts';

/**
 * PySpark 3.5 (`infra/spark/requirements.txt`, hash-pinned; pyspark is a 317 MB source archive
 * that pip turns into a wheel locally) in the stack's cache, for reading the Iceberg table with
 * Spark in tests. Needs Java 17 on the PATH at run time.
 */
export function sparkPython(stackDir?: string): Promise<string> {
  const paths = stackPaths(stackDir);
  return ensurePythonVenv({
    name: 'pyspark',
    requirements: join(paths.infra, 'spark', 'requirements.txt'),
    cacheDir: paths.cache,
    logFile: join(paths.logs, 'pip-pyspark.log'),
    allowSource: true,
  });
}

/** The Iceberg Spark runtime and AWS bundle jars (`infra/spark/pom.xml`, SHA-256 pinned). */
export async function sparkJars(stackDir?: string): Promise<string[]> {
  const paths = stackPaths(stackDir);
  const dir = await ensureMavenJars({
    name: 'spark-iceberg',
    pom: join(paths.infra, 'spark', 'pom.xml'),
    sha256File: join(paths.infra, 'spark', 'jars.sha256'),
    cacheDir: paths.cache,
    logFile: join(paths.logs, 'maven-spark.log'),
  });
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jar'))
    .sort()
    .map((f) => join(dir, f));
}
