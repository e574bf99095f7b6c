import type { TestProject } from 'vitest/node';
import { stackDown, stackUp } from '@loglake/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    s3: {
      endpoint: string;
      region: string;
      accessKeyId: string;
      secretAccessKey: string;
      bucket: string;
    };
  }
}

/** Starts the local stack once per run, or reuses the one already running; stops only what it started. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const info = await stackUp({
    kafka: ['single'],
    prometheus: 'off',
    log: (m) => process.stderr.write(`[stack] ${m}\n`),
  });
  const brokers = info.kafka.single;
  if (!brokers || !info.s3?.credentials || !info.s3.endpoint)
    throw new Error('stack returned no endpoints');
  project.provide('kafkaBrokers', [...brokers]);
  project.provide('s3', {
    endpoint: info.s3.endpoint,
    region: info.s3.region,
    accessKeyId: info.s3.credentials.accessKeyId,
    secretAccessKey: info.s3.credentials.secretAccessKey,
    bucket: info.s3.bucket,
  });
  return async () => {
    const only = [...new Set(info.started.map((n) => n.replace(/-\d+$/, '')))];
    if (only.length > 0) await stackDown({ only });
  };
}
