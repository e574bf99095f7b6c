import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TOPIC_MAX_MESSAGE_BYTES, pipelineAcls, type AclBinding } from '@loglake/kafka';
import {
  findRepoRoot,
  PIPELINE_GROUP,
  PIPELINE_TOPICS,
  S3_SERVER,
  SECURE_BROKER,
  SECURE_USERS,
  SINGLE_BROKER,
  PROMETHEUS,
  ICEBERG_CATALOG,
  icebergCatalogInfo,
  serverProperties,
  SERVICE_NODE_OPTIONS,
  stackPaths,
} from '@loglake/stack';

// docker-compose.yml cannot run here (no Docker engine); this keeps it consistent with the local stack.
const root = findRepoRoot();
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[];
  entrypoint?: string[];
  profiles?: string[];
  volumes?: string[];
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

  it('runs the Iceberg REST catalog (profile iceberg) as the stack does: version, port, warehouse, bucket', () => {
    const rest = services['iceberg-rest'];
    const pom = readFileSync(join(root, 'infra', 'iceberg', 'pom.xml'), 'utf8');
    const version = /<iceberg\.version>([^<]+)</.exec(pom)?.[1];
    expect(rest?.image).toBe(`apache/iceberg-rest-fixture:${version}`);
    expect(rest?.profiles).toEqual(['iceberg']);
    expect(hostPorts(rest)).toContain(ICEBERG_CATALOG.port);
    expect(rest?.environment).toMatchObject({
      CATALOG_WAREHOUSE: icebergCatalogInfo().warehouse,
      CATALOG_IO__IMPL: 'org.apache.iceberg.aws.s3.S3FileIO',
      CATALOG_S3_PATH__STYLE__ACCESS: 'true',
      AWS_ACCESS_KEY_ID: S3_SERVER.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_SERVER.secretAccessKey,
    });
    expect(String(rest?.environment?.CATALOG_URI)).toMatch(/^jdbc:sqlite:\/data\//);
    expect(JSON.stringify(services['minio-init']?.command)).toContain(
      `mb --ignore-existing local/${ICEBERG_CATALOG.bucket}`,
    );
  });

  it('builds the three services from Dockerfiles in the repo', () => {
    for (const name of ['gateway', 'sink', 'generator']) {
      const build = services[name]?.build;
      expect(build?.context).toBe('.');
      expect(existsSync(join(root, build?.dockerfile ?? 'missing'))).toBe(true);
    }
  });

  it('runs each service with the Node options pnpm start, the benches and tests give it, and the patched dependencies', () => {
    const patched = Object.keys(
      (
        JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
          pnpm?: { patchedDependencies?: Record<string, string> };
        }
      ).pnpm?.patchedDependencies ?? {},
    );
    for (const name of ['gateway', 'sink', 'generator'] as const) {
      const dockerfile = readFileSync(
        join(root, services[name]?.build?.dockerfile ?? 'missing'),
        'utf8',
      );
      const env = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1] ?? '';
      expect(env, name).toBe(SERVICE_NODE_OPTIONS[name]);
      expect(services[name]?.environment?.NODE_OPTIONS, name).toBeUndefined();
      const start = (
        JSON.parse(readFileSync(join(root, 'services', name, 'package.json'), 'utf8')) as {
          scripts: { start: string };
        }
      ).scripts.start;
      for (const flag of SERVICE_NODE_OPTIONS[name].split(' ').filter(Boolean))
        expect(start, name).toContain(flag);
      if (patched.length > 0) {
        const copied = dockerfile.search(/^COPY patches patches$/m);
        expect(copied, name).toBeGreaterThan(-1);
        expect(copied, name).toBeLessThan(dockerfile.search(/^RUN pnpm install/m));
      }
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
    const mounts = [services.prometheus, services.grafana].flatMap((s) => s?.volumes ?? []);
    for (const m of mounts) {
      const src = m.split(':')[0] ?? '';
      expect(existsSync(join(root, src)), src).toBe(true);
    }
    expect(mounts.length).toBeGreaterThanOrEqual(4);
  });

  it('creates the topics with explicit retention (KAFKA_TOPIC_RETENTION_MS, 7 days by default), record size and min.insync.replicas', () => {
    const init = services['kafka-init'];
    expect(init?.environment?.KAFKA_TOPIC_RETENTION_MS).toBe(
      '${KAFKA_TOPIC_RETENTION_MS:-604800000}',
    );
    const command = JSON.stringify(init?.command);
    for (const topic of PIPELINE_TOPICS) {
      expect(command).toMatch(
        new RegExp(
          // `$$` is compose's escape: the container's shell expands the variable compose set.
          `--topic ${topic} [^&]*--config retention\\.ms=\\$\\$\\{KAFKA_TOPIC_RETENTION_MS\\} ` +
            `--config max\\.message\\.bytes=${TOPIC_MAX_MESSAGE_BYTES} --config min\\.insync\\.replicas=1`,
        ),
      );
    }
  });
});

describe('docker-compose.yml, profile secure', () => {
  const secure = [
    'kafka-secure-certs',
    'kafka-secure',
    'kafka-secure-init',
    'gateway-secure',
    'sink-secure',
  ];
  const condition = (s: Service | undefined, on: string) =>
    (s?.depends_on as Record<string, { condition: string }> | undefined)?.[on]?.condition;
  const mounts = (s: Service | undefined) =>
    (s?.volumes ?? []).map((v) => {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    });
  const script = (name: string) =>
    readFileSync(join(root, 'infra', 'kafka', 'secure', name), 'utf8');

  it('is opt-in: only its services carry the profile, the default services are unchanged', () => {
    for (const name of secure) expect(services[name]?.profiles, name).toEqual(['secure']);
    const defaults = Object.entries(services).filter(([, s]) => !s.profiles);
    expect(defaults.map(([n]) => n).sort()).toEqual(
      [
        'gateway',
        'grafana',
        'kafka',
        'kafka-init',
        'minio',
        'minio-init',
        'prometheus',
        'sink',
      ].sort(),
    );
    for (const [name, s] of defaults) {
      const needs = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      expect(
        needs.filter((n) => secure.includes(n)),
        name,
      ).toEqual([]);
    }
  });

  it('runs in order: certificates, broker (healthy), topics and ACLs, then the services', () => {
    expect(condition(services['kafka-secure'], 'kafka-secure-certs')).toBe(
      'service_completed_successfully',
    );
    expect(condition(services['kafka-secure-init'], 'kafka-secure')).toBe('service_healthy');
    for (const name of ['gateway-secure', 'sink-secure']) {
      expect(condition(services[name], 'kafka-secure-init'), name).toBe(
        'service_completed_successfully',
      );
    }
  });

  it('mounts scripts that exist and shares the certificates through one volume', () => {
    for (const name of secure) {
      for (const { source } of mounts(services[name])) {
        if (source.startsWith('./')) expect(existsSync(join(root, source)), source).toBe(true);
      }
    }
    const tlsVolume = mounts(services['kafka-secure-certs']).find(
      (m) => m.target === '/secure/tls',
    );
    expect(tlsVolume?.source).toBe('kafka-secure-tls');
    for (const name of ['kafka-secure', 'kafka-secure-init', 'gateway-secure', 'sink-secure']) {
      expect(mounts(services[name]), name).toContainEqual({
        source: 'kafka-secure-tls',
        target: '/secure/tls',
      });
    }
    // The certificate names the host the containers dial.
    const entry = services['kafka-secure-certs']?.entrypoint ?? [];
    expect(entry[1]).toBe('/secure/make-certs.sh');
    expect(entry.at(-1)).toContain('DNS:kafka-secure');
    expect(services['gateway-secure']?.environment?.KAFKA_BROKERS).toMatch(/^kafka-secure:/);
  });

  it('publishes the local stack port, and the services log in with TLS and their own SCRAM user', () => {
    expect(hostPorts(services['kafka-secure'])).toEqual([SECURE_BROKER.nodes[0]?.port]);
    for (const [name, user] of [
      ['gateway-secure', SECURE_USERS.gateway],
      ['sink-secure', SECURE_USERS.sink],
    ] as const) {
      expect(services[name]?.environment, name).toMatchObject({
        KAFKA_BROKERS: 'kafka-secure:19094',
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: '/secure/tls/ca.pem',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: user.username,
        KAFKA_SASL_PASSWORD: user.password,
      });
    }
    expect(services['sink-secure']?.environment?.SINK_GROUP_ID).toBe(PIPELINE_GROUP);
    expect(services['kafka-secure']?.environment).toMatchObject({
      ADMIN_PASSWORD: SECURE_USERS.admin.password,
      GATEWAY_PASSWORD: SECURE_USERS.gateway.password,
      SINK_PASSWORD: SECURE_USERS.sink.password,
    });
    // Compose's host ports do not collide with the default services'.
    const all = Object.values(services).flatMap((s) => hostPorts(s));
    expect(new Set(all).size).toBe(all.length);
  });

  it('secures the broker as the local stack does (same authorizer, super users, mechanisms, mTLS controller)', () => {
    const props = (text: string) =>
      new Map(
        text
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
      );
    const node = SECURE_BROKER.nodes[0];
    if (!node) throw new Error('no node');
    const local = props(serverProperties(stackPaths(), SECURE_BROKER, node));
    const compose = props(script('server.compose.properties'));
    for (const key of [
      'authorizer.class.name',
      'super.users',
      'allow.everyone.if.no.acl.found',
      'sasl.enabled.mechanisms',
      'sasl.mechanism.inter.broker.protocol',
      'listener.name.controller.ssl.client.auth',
      'ssl.principal.mapping.rules',
      'ssl.keystore.type',
      'ssl.keystore.password',
      'ssl.truststore.type',
      'auto.create.topics.enable',
    ]) {
      expect(compose.get(key), key).toBe(local.get(key));
      expect(local.get(key), key).toBeDefined();
    }
    expect(compose.get('listener.security.protocol.map')).toBe(
      'CONTROLLER:SSL,INTERNAL:SASL_SSL,EXTERNAL:SASL_SSL',
    );
    // The users the broker is formatted with are the ones the services log in as.
    const broker = script('broker.compose.sh');
    for (const user of ['admin', 'gateway', 'sink'])
      expect(broker).toContain(`--add-scram "SCRAM-SHA-512=[name=${user},password=`);
  });

  it('grants exactly the ACLs the local stack grants (pipelineAcls), and creates the topics with explicit settings', () => {
    const init = script('init.compose.sh');
    const [topic, dlqTopic] = PIPELINE_TOPICS;
    const operation: Record<string, string> = {
      read: 'Read',
      write: 'Write',
      describe_configs: 'DescribeConfigs',
    };
    const line = (b: AclBinding) =>
      `$acls --allow-principal ${b.principal} --operation ${operation[b.operation] ?? '?'} --${b.resource} ${b.name}`;
    const expected = pipelineAcls({
      gateway: SECURE_USERS.gateway.username,
      sink: SECURE_USERS.sink.username,
      topic,
      dlqTopic,
      groupId: PIPELINE_GROUP,
    });
    const granted = init.split('\n').filter((l) => l.startsWith('$acls '));
    expect(granted.sort()).toEqual(expected.map(line).sort());
    expect(init).toContain(`for topic in ${PIPELINE_TOPICS.join(' ')}; do`);
    expect(init).toContain(
      `--config "retention.ms=\${KAFKA_TOPIC_RETENTION_MS:-604800000}" --config max.message.bytes=${TOPIC_MAX_MESSAGE_BYTES} --config min.insync.replicas=1`,
    );
  });
});
