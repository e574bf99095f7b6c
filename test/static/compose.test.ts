import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findRepoRoot, S3_SERVER, SINGLE_BROKER, PROMETHEUS } from '@loglake/stack';

// docker-compose.yml cannot run here (no Docker engine); this keeps it consistent with the local stack.
const root = findRepoRoot();
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const hostPorts = (s: Service | undefined) => (s?.ports ?? []).map((p) => Number(p.split(':')[0]));

describe('docker-compose.yml', () => {
  it('has Kafka (official image, KRaft), MinIO with bucket creation, Prometheus, Grafana and the three services', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'kafka',
        'kafka-init',
        'minio',
        'minio-init',
        'prometheus',
        'grafana',
        'gateway',
        'sink',
        'generator',
      ]),
    );
    expect(services.kafka?.image).toMatch(/^apache\/kafka:4\./);
    expect(services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(JSON.stringify(services['minio-init']?.command)).toContain(
      `mb --ignore-existing local/${S3_SERVER.bucket}`,
    );
    expect(JSON.stringify(services['kafka-init']?.command)).toMatch(
      /--topic log-data .*--topic log-data-dlq/s,
    );
  });

  it('builds the three services from Dockerfiles in the repo', () => {
    for (const name of ['gateway', 'sink', 'generator']) {
      const build = services[name]?.build;
      expect(build?.context).toBe('.');
      expect(existsSync(join(root, build?.dockerfile ?? 'missing'))).toBe(true);
    }
  });

  it('publishes the same ports as the local stack', () => {
    expect(hostPorts(services.kafka)).toContain(SINGLE_BROKER.nodes[0]?.port);
    expect(hostPorts(services.minio)).toContain(S3_SERVER.port);
    expect(hostPorts(services.prometheus)).toContain(PROMETHEUS.port);
    expect(hostPorts(services.grafana)).toContain(3000);
    expect(hostPorts(services.gateway)).toEqual(expect.arrayContaining([8080, 9464]));
    expect(hostPorts(services.sink)).toContain(9465);
    expect(hostPorts(services.generator)).toContain(9466);
  });

  it('uses the local stack credentials and the variable names the services read', () => {
    expect(services.minio?.environment).toMatchObject({
      MINIO_ROOT_USER: S3_SERVER.accessKeyId,
      MINIO_ROOT_PASSWORD: S3_SERVER.secretAccessKey,
    });
    expect(services.gateway?.environment).toMatchObject({
      KAFKA_BROKERS: 'kafka:19092',
      GATEWAY_TOPIC: 'log-data',
    });
    expect(services.sink?.environment).toMatchObject({
      KAFKA_BROKERS: 'kafka:19092',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_ID: S3_SERVER.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3_SERVER.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      SINK_OUTPUT_URL: `s3://${S3_SERVER.bucket}/lake`,
      SINK_TOPIC: 'log-data',
      SINK_DLQ_TOPIC: 'log-data-dlq',
    });
  });

  it('mounts the Prometheus config and Grafana provisioning that exist in infra/', () => {
    const mounts = [services.prometheus, services.grafana].flatMap(
      (s) => (s as { volumes?: string[] } | undefined)?.volumes ?? [],
    );
    for (const m of mounts) {
      const src = m.split(':')[0] ?? '';
      expect(existsSync(join(root, src)), src).toBe(true);
    }
    expect(mounts.length).toBeGreaterThanOrEqual(4);
  });
});
