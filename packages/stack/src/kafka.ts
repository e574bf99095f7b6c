import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaAdmin, type KafkaClientConfig } from '@loglake/kafka';
import { killDaemon, runningPid, startDaemon, stopDaemon } from './daemon.ts';
import { ensureMavenJars } from './downloads.ts';
import { stackPaths, type StackPaths } from './paths.ts';
import { runCommand } from './run-command.ts';
import { waitUntilReady } from './wait.ts';

export interface KafkaNodeSpec {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
}

export interface KafkaClusterSpec {
  /** Component name; node `n` is `<name>-<n>`. */
  readonly name: string;
  readonly nodes: readonly KafkaNodeSpec[];
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly heapMb: number;
  /**
   * `sasl_ssl`: clients on SASL_SSL (SCRAM-SHA-512) with ACLs (StandardAuthorizer), the controller
   * on mutual TLS; unset: PLAINTEXT everywhere.
   */
  readonly security?: 'sasl_ssl';
}

/** One combined broker+controller on the standard port: the local default. */
export const SINGLE_BROKER: KafkaClusterSpec = {
  name: 'kafka',
  nodes: [{ id: 1, port: 9092, controllerPort: 9093 }],
  replicationFactor: 1,
  minInsyncReplicas: 1,
  heapMb: 1024,
};

/** Three combined nodes, RF 3 and min.insync.replicas=2: the production layout, for replication tests. */
export const THREE_BROKERS: KafkaClusterSpec = {
  name: 'kafka3',
  nodes: [
    { id: 1, port: 19092, controllerPort: 19192 },
    { id: 2, port: 19093, controllerPort: 19193 },
    { id: 3, port: 19094, controllerPort: 19194 },
  ],
  replicationFactor: 3,
  minInsyncReplicas: 2,
  heapMb: 512,
};

/**
 * One combined node with TLS, SASL SCRAM-SHA-512 and ACLs on 9094 (controller 9095, mutual TLS),
 * beside the plain broker: `pnpm stack:up --secure`, and the secure integration test.
 */
export const SECURE_BROKER: KafkaClusterSpec = {
  name: 'kafka-secure',
  nodes: [{ id: 1, port: 9094, controllerPort: 9095 }],
  replicationFactor: 1,
  minInsyncReplicas: 1,
  heapMb: 512,
  security: 'sasl_ssl',
};

export interface ScramUser {
  readonly username: string;
  readonly password: string;
}

/**
 * The SCRAM-SHA-512 users of the secured broker (loopback only, like the S3 key: fixed and
 * documented). `admin` is a super user for the stack itself (topics, ACLs); `gateway` and `sink`
 * get only the pipeline's ACLs (`pipelineAcls` in @loglake/kafka).
 */
export const SECURE_USERS = {
  admin: { username: 'admin', password: 'admin-secret' },
  gateway: { username: 'gateway', password: 'gateway-secret' },
  sink: { username: 'sink', password: 'sink-secret' },
} as const satisfies Record<string, ScramUser>;

/** The broker's own SCRAM login on its SASL_SSL listener (a super user, like its certificate's CN=broker). */
const BROKER_USER: ScramUser = { username: 'broker', password: 'broker-secret' };
const TLS_STORE_PASSWORD = 'loglake-tls';

/** Where the secured broker's TLS material is made: `ca.pem` is what clients trust. */
export function secureTlsDir(paths: StackPaths): string {
  return join(paths.data, `${SECURE_BROKER.name}-tls`);
}

/** The CA certificate clients of the secured broker trust (`KAFKA_SSL_CA_FILE`). */
export function secureCaFile(paths: StackPaths): string {
  return join(secureTlsDir(paths), 'ca.pem');
}

/** A client of the secured broker logged in as `user` (`admin`, `gateway`, `sink` or another). */
export function secureClientConfig(
  paths: StackPaths,
  user: ScramUser,
  clientId = 'loglake-stack',
): KafkaClientConfig {
  return {
    brokers: bootstrapServers(SECURE_BROKER),
    clientId,
    ssl: true,
    sslCaFile: secureCaFile(paths),
    sasl: { mechanism: 'scram-sha-512', username: user.username, password: user.password },
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  };
}

export function bootstrapServers(spec: KafkaClusterSpec): string[] {
  return spec.nodes.map((n) => `127.0.0.1:${n.port}`);
}

export function nodeName(spec: KafkaClusterSpec, id: number): string {
  return `${spec.name}-${id}`;
}

function nodeDir(paths: StackPaths, spec: KafkaClusterSpec, id: number): string {
  return join(paths.data, nodeName(spec, id));
}

function listenerProperties(
  paths: StackPaths,
  spec: KafkaClusterSpec,
  node: KafkaNodeSpec,
): string[] {
  if (spec.security !== 'sasl_ssl') {
    return [
      `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    ];
  }
  const tls = secureTlsDir(paths);
  const jaas = (u: ScramUser) =>
    `org.apache.kafka.common.security.scram.ScramLoginModule required username="${u.username}" password="${u.password}";`;
  return [
    // Clients (and the broker itself) on SASL_SSL with SCRAM; the controller on mutual TLS, where
    // the certificate's CN is the principal (CN=broker -> User:broker).
    `listeners=SASL_SSL://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas(BROKER_USER)}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${join(tls, 'broker.p12')}`,
    `ssl.keystore.password=${TLS_STORE_PASSWORD}`,
    `ssl.key.password=${TLS_STORE_PASSWORD}`,
    'ssl.truststore.type=PKCS12',
    `ssl.truststore.location=${join(tls, 'truststore.p12')}`,
    `ssl.truststore.password=${TLS_STORE_PASSWORD}`,
    'listener.name.controller.ssl.client.auth=required',
    'ssl.principal.mapping.rules=RULE:^CN=([a-zA-Z0-9._-]+)$/$1/,DEFAULT',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${BROKER_USER.username};User:${SECURE_USERS.admin.username}`,
    'allow.everyone.if.no.acl.found=false',
  ];
}

/** The `server.properties` the stack writes for `node` (exported for the compose consistency test). */
export function serverProperties(
  paths: StackPaths,
  spec: KafkaClusterSpec,
  node: KafkaNodeSpec,
): string {
  const voters = spec.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  const rf = spec.replicationFactor;
  const isr = spec.minInsyncReplicas;
  return [
    '# Written by the loglake local stack on every start; edit packages/stack/src/kafka.ts instead.',
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    ...listenerProperties(paths, spec, node),
    `log.dirs=${join(nodeDir(paths, spec, node.id), 'log')}`,
    'num.partitions=6',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${isr}`,
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=10',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${isr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${isr}`,
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    // A killed broker must not be waited for long before its partitions get new leaders.
    'broker.session.timeout.ms=6000',
    'broker.heartbeat.interval.ms=1000',
    'unclean.leader.election.enable=false',
    '',
  ].join('\n');
}

interface KafkaContext {
  readonly paths: StackPaths;
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
}

async function kafkaJars(ctx: KafkaContext): Promise<string> {
  return ensureMavenJars({
    name: 'kafka',
    pom: join(ctx.paths.infra, 'kafka', 'pom.xml'),
    cacheDir: ctx.paths.cache,
    logFile: join(ctx.paths.logs, 'maven-kafka.log'),
  });
}

/** The folder of Kafka's jars (fetched with Maven on first use), for running Kafka's own tools. */
export function kafkaJarDir(stackDir?: string): Promise<string> {
  return kafkaJars({ paths: stackPaths(stackDir), timeoutMs: 120_000, log: () => undefined });
}

function clusterId(paths: StackPaths, spec: KafkaClusterSpec): string {
  const file = join(paths.data, `${spec.name}.cluster-id`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  // Kafka's Uuid: 16 random bytes, URL-safe base64 without padding. Like Kafka's own generator,
  // draw again when it starts with '-': the storage tool would read `-…` as an option.
  let id = randomBytes(16).toString('base64url');
  while (id.startsWith('-')) id = randomBytes(16).toString('base64url');
  mkdirSync(paths.data, { recursive: true });
  writeFileSync(file, `${id}\n`);
  return id;
}

function javaArgs(
  ctx: KafkaContext,
  jars: string,
  heapMb: number,
  mainClass: string,
  rest: string[],
): string[] {
  return [
    `-Xmx${heapMb}m`,
    `-Xms${Math.min(256, heapMb)}m`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(ctx.paths.infra, 'kafka', 'log4j2.properties')}`,
    '-cp',
    `${jars}/*`,
    mainClass,
    ...rest,
  ];
}

/** Starts one node (formatting its storage on first start) without waiting for it. */
async function launchNode(
  ctx: KafkaContext,
  spec: KafkaClusterSpec,
  node: KafkaNodeSpec,
  jars: string,
) {
  const name = nodeName(spec, node.id);
  const dir = nodeDir(ctx.paths, spec, node.id);
  const config = join(dir, 'server.properties');
  const logFile = join(ctx.paths.logs, `${name}.log`);
  const existing = runningPid(ctx.paths.run, name, config);
  if (existing !== null) return { name, pid: existing, logFile, started: false };
  mkdirSync(dir, { recursive: true });
  mkdirSync(ctx.paths.logs, { recursive: true });
  if (spec.security === 'sasl_ssl') await ensureTls(ctx, logFile);
  writeFileSync(config, serverProperties(ctx.paths, spec, node));
  if (!existsSync(join(dir, 'log', 'meta.properties'))) {
    ctx.log(`formatting storage of ${name}`);
    // SCRAM users go into the bootstrap metadata: the broker needs its own login before it serves.
    const users = spec.security === 'sasl_ssl' ? [BROKER_USER, ...Object.values(SECURE_USERS)] : [];
    await runCommand(
      'java',
      javaArgs(ctx, jars, 256, 'kafka.tools.StorageTool', [
        'format',
        '-t',
        clusterId(ctx.paths, spec),
        '-c',
        config,
        ...users.flatMap((u) => [
          '--add-scram',
          `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`,
        ]),
      ]),
      { logFile, what: `formatting Kafka storage of ${name}` },
    );
  }
  const pid = startDaemon({
    name,
    command: 'java',
    args: javaArgs(ctx, jars, spec.heapMb, 'kafka.Kafka', [config]),
    logFile,
    runDir: ctx.paths.run,
    marker: config,
  });
  return { name, pid, logFile, started: true };
}

/** The CA and the broker's certificate, made once with keytool (`infra/kafka/secure/make-certs.sh`). */
async function ensureTls(ctx: KafkaContext, logFile: string): Promise<void> {
  if (existsSync(secureCaFile(ctx.paths))) return;
  ctx.log(`making a CA and a broker certificate in ${secureTlsDir(ctx.paths)}`);
  await runCommand(
    'sh',
    [
      join(ctx.paths.infra, 'kafka', 'secure', 'make-certs.sh'),
      secureTlsDir(ctx.paths),
      TLS_STORE_PASSWORD,
      'IP:127.0.0.1,DNS:localhost',
    ],
    { logFile, what: 'making the TLS material of the secured broker (keytool)' },
  );
}

/** How the stack itself talks to a cluster: as `admin` on the secured one. */
export function stackClientConfig(
  paths: StackPaths,
  spec: KafkaClusterSpec,
  brokers: string[] = bootstrapServers(spec),
): KafkaClientConfig {
  const base = spec.security === 'sasl_ssl' ? secureClientConfig(paths, SECURE_USERS.admin) : null;
  return {
    ...(base ?? { clientId: 'loglake-stack', ssl: false }),
    brokers,
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 5000,
  };
}

/** Resolves once the broker at `port` answers metadata and the cluster sees `expectBrokers` brokers. */
async function probeBroker(
  paths: StackPaths,
  spec: KafkaClusterSpec,
  port: number,
  expectBrokers: number,
): Promise<void> {
  const admin = createKafkaAdmin(stackClientConfig(paths, spec, [`127.0.0.1:${port}`]));
  await admin.connect();
  try {
    const info = await admin.describeCluster();
    if (info.brokers.length < expectBrokers) {
      throw new Error(`${info.brokers.length} of ${expectBrokers} brokers registered`);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Starts every node of the cluster that is not running, and waits until all are registered. */
export async function startKafkaCluster(
  ctx: KafkaContext,
  spec: KafkaClusterSpec,
): Promise<string[]> {
  const jars = await kafkaJars(ctx);
  const launched = [];
  for (const node of spec.nodes)
    launched.push({ node, ...(await launchNode(ctx, spec, node, jars)) });
  for (const l of launched) {
    if (l.started)
      ctx.log(`started ${l.name} (pid ${l.pid}) on 127.0.0.1:${l.node.port}; log ${l.logFile}`);
  }
  for (const l of launched) {
    await waitUntilReady(() => probeBroker(ctx.paths, spec, l.node.port, spec.nodes.length), {
      what: `Kafka node ${l.name} on 127.0.0.1:${l.node.port}`,
      timeoutMs: ctx.timeoutMs,
      logFile: l.logFile,
      pid: l.pid,
    });
  }
  return launched.filter((l) => l.started).map((l) => l.name);
}

/** Starts one node of a cluster again (after `killKafkaNode`) and waits until it serves. */
export async function startKafkaNode(
  ctx: KafkaContext,
  spec: KafkaClusterSpec,
  id: number,
): Promise<void> {
  const node = spec.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`${spec.name} has no node ${id}`);
  const l = await launchNode(ctx, spec, node, await kafkaJars(ctx));
  await waitUntilReady(() => probeBroker(ctx.paths, spec, node.port, spec.nodes.length), {
    what: `Kafka node ${l.name} on 127.0.0.1:${node.port}`,
    timeoutMs: ctx.timeoutMs,
    logFile: l.logFile,
    pid: l.pid,
  });
}

export function killKafkaNode(
  paths: StackPaths,
  spec: KafkaClusterSpec,
  id: number,
): Promise<boolean> {
  return killDaemon(
    paths.run,
    nodeName(spec, id),
    join(nodeDir(paths, spec, id), 'server.properties'),
  );
}

export function kafkaNodeRunning(paths: StackPaths, spec: KafkaClusterSpec, id: number): boolean {
  return (
    runningPid(
      paths.run,
      nodeName(spec, id),
      join(nodeDir(paths, spec, id), 'server.properties'),
    ) !== null
  );
}

export async function stopKafkaCluster(
  paths: StackPaths,
  spec: KafkaClusterSpec,
): Promise<string[]> {
  // All nodes at once: stopped one by one, the last ones would wait for a quorum that is gone.
  const results = await Promise.all(
    spec.nodes.map(async (node) => {
      const config = join(nodeDir(paths, spec, node.id), 'server.properties');
      const name = nodeName(spec, node.id);
      return (await stopDaemon(paths.run, name, config, 30000)) ? name : null;
    }),
  );
  return results.filter((n): n is string => n !== null);
}
