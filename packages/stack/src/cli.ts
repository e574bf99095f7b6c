/**
 * `pnpm stack:up | stack:down | stack:status | start` — the local stack without Docker.
 *   up [--three] [--secure] [--iceberg] [--no-prometheus] [--timeout-s N]
 *      --iceberg adds the Apache Iceberg REST catalog on 127.0.0.1:8181 (tables on the S3 server)
 *      --secure adds a broker with TLS, SASL SCRAM-SHA-512 and ACLs on 127.0.0.1:9094
 *      KAFKA_TOPIC_RETENTION_MS sets retention.ms of the topics it creates (default 7 days)
 *   down
 *   status
 *   start [--secure] [--iceberg]   the stack plus the pipeline's services, until Ctrl-C (through the
 *      secured broker with --secure; the sink writing the Iceberg table loglake.events with --iceberg)
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '@loglake/core';
import { parseTopicEnv } from '@loglake/kafka';
import { startPipeline } from './services.ts';
import { stackDown, stackStatus, stackUp, type KafkaLayout, type StackInfo } from './stack.ts';

const log = (message: string) => process.stderr.write(`[stack] ${message}\n`);

function describe(info: StackInfo): string {
  const lines = [];
  for (const [layout, brokers] of Object.entries(info.kafka)) {
    lines.push(`  kafka (${layout}):   ${brokers.join(',')}`);
  }
  if (info.s3) {
    lines.push(
      `  s3:             ${info.s3.endpoint ?? ''} bucket=${info.s3.bucket} (key loglake / loglake-secret)`,
    );
  }
  if (info.secure) {
    const { users } = info.secure;
    lines.push(
      `  kafka (secure) users (SCRAM-SHA-512): ${users.gateway.username} / ${users.gateway.password}, ${users.sink.username} / ${users.sink.password}, ${users.admin.username} / ${users.admin.password} (super user)`,
      `  kafka (secure) CA:    ${info.secure.caFile} (KAFKA_SSL=true KAFKA_SSL_CA_FILE=…)`,
    );
  }
  if (info.iceberg) {
    lines.push(
      `  iceberg REST:   ${info.iceberg.url} warehouse=${info.iceberg.warehouse} (no auth)`,
    );
  }
  if (info.prometheusUrl) lines.push(`  prometheus:     ${info.prometheusUrl}`);
  lines.push(`  logs:           ${info.paths.logs}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      three: { type: 'boolean', default: false },
      secure: { type: 'boolean', default: false },
      iceberg: { type: 'boolean', default: false },
      'no-prometheus': { type: 'boolean', default: false },
      'timeout-s': { type: 'string', default: '120' },
    },
  });
  const command = positionals[0] ?? 'status';
  const timeoutMs = Number(values['timeout-s']) * 1000;
  const kafka: KafkaLayout[] = ['single'];
  if (values.three) kafka.push('three');
  if (values.secure) kafka.push('secure');
  const prometheus = values['no-prometheus'] ? 'off' : 'auto';
  const { retentionMs: topicRetentionMs } = parseTopicEnv(process.env);
  const iceberg = values.iceberg;

  switch (command) {
    case 'up': {
      const begun = Date.now();
      const info = await stackUp({ kafka, prometheus, iceberg, timeoutMs, topicRetentionMs, log });
      log(`ready in ${((Date.now() - begun) / 1000).toFixed(1)} s\n${describe(info)}`);
      return 0;
    }
    case 'down': {
      const stopped = await stackDown();
      log(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      for (const c of stackStatus())
        log(`${c.running ? 'up  ' : 'down'}  ${c.name.padEnd(14)} ${c.address}`);
      return 0;
    }
    case 'start': {
      const info = await stackUp({ kafka, prometheus, iceberg, timeoutMs, topicRetentionMs, log });
      log(`stack ready\n${describe(info)}`);
      const services = startPipeline(info);
      log(
        `gateway on http://127.0.0.1:8080 (POST /events), sink writing to ${info.iceberg ? `the Iceberg table loglake.events (${info.iceberg.url})` : './lake'}; Ctrl-C stops everything this command started`,
      );
      const signal = new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      const firstExit = Promise.race(
        services.map((s) => s.exited.then((code) => `${s.name} exited with ${code}`)),
      );
      const why = await Promise.race([signal, firstExit]);
      log(`${why}: stopping`);
      for (const s of services) s.child.kill('SIGTERM');
      const codes = await Promise.all(services.map((s) => s.exited));
      const stopped = await stackDown({ only: componentsOf(info.started) });
      log(
        `stopped the services and ${stopped.join(', ') || 'no stack component (they were running before)'}`,
      );
      return codes.every((c) => c === 0 || c === null) && why.startsWith('SIG') ? 0 : 1;
    }
    default:
      log(`unknown command "${command}": use up, down, status or start`);
      return 2;
  }
}

/** Kafka node names (`kafka-1`) map to their cluster (`kafka`). */
function componentsOf(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.replace(/-\d+$/, '')))];
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(errorMessage(error));
    process.exit(1);
  },
);
