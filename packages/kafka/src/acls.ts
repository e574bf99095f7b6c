import kafkajs, { type Admin, type AclEntry } from 'kafkajs';
import type { Logger } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';
import { createKafkaJs } from './client.ts';
import { explained } from './errors.ts';

// Node's CommonJS interop does not see these enums as named exports of kafkajs (its lexer stops early).
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
type AclResourceTypes = kafkajs.AclResourceTypes;
type AclOperationTypes = kafkajs.AclOperationTypes;

export type AclResource = 'topic' | 'group' | 'cluster' | 'transactional_id';
export type AclOperation =
  | 'all'
  | 'read'
  | 'write'
  | 'create'
  | 'delete'
  | 'alter'
  | 'describe'
  | 'describe_configs'
  | 'alter_configs'
  | 'idempotent_write';

/** One ALLOW rule on a literal resource name (loglake never grants by prefix). */
export interface AclBinding {
  /** `User:<name>`. */
  readonly principal: string;
  readonly resource: AclResource;
  /** Topic or group name; `kafka-cluster` for the cluster. */
  readonly name: string;
  readonly operation: AclOperation;
}

export interface PipelineAclOptions {
  /** The gateway's SASL user name. */
  readonly gateway: string;
  /** The sink's SASL user name. */
  readonly sink: string;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
}

/**
 * The least the two services need, and nothing more:
 * - gateway: WRITE on the topic and the DLQ (WRITE implies DESCRIBE, which start-up's topic check
 *   needs; since Kafka 3.0 it also allows the idempotent producer's InitProducerId).
 * - sink: READ on the topic and its group (READ implies DESCRIBE: offsets, lag, the topic check),
 *   WRITE on the DLQ, and DESCRIBE_CONFIGS on the topic (to read its retention at start-up).
 * Neither may create, delete or alter topics: the operator creates them (the local stack and
 * compose do, with their admin user).
 */
export function pipelineAcls(o: PipelineAclOptions): AclBinding[] {
  const gateway = `User:${o.gateway}`;
  const sink = `User:${o.sink}`;
  return [
    { principal: gateway, resource: 'topic', name: o.topic, operation: 'write' },
    { principal: gateway, resource: 'topic', name: o.dlqTopic, operation: 'write' },
    { principal: sink, resource: 'topic', name: o.topic, operation: 'read' },
    { principal: sink, resource: 'topic', name: o.topic, operation: 'describe_configs' },
    { principal: sink, resource: 'group', name: o.groupId, operation: 'read' },
    { principal: sink, resource: 'topic', name: o.dlqTopic, operation: 'write' },
  ];
}

const RESOURCES: Record<AclResource, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  transactional_id: AclResourceTypes.TRANSACTIONAL_ID,
};

const OPERATIONS: Record<AclOperation, AclOperationTypes> = {
  all: AclOperationTypes.ALL,
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  delete: AclOperationTypes.DELETE,
  alter: AclOperationTypes.ALTER,
  describe: AclOperationTypes.DESCRIBE,
  describe_configs: AclOperationTypes.DESCRIBE_CONFIGS,
  alter_configs: AclOperationTypes.ALTER_CONFIGS,
  idempotent_write: AclOperationTypes.IDEMPOTENT_WRITE,
};

function reverse<K extends string, V>(map: Record<K, V>): Map<V, K> {
  return new Map(Object.entries(map).map(([k, v]) => [v as V, k as K]));
}
const RESOURCE_NAMES = reverse(RESOURCES);
const OPERATION_NAMES = reverse(OPERATIONS);

function entry(b: AclBinding): AclEntry {
  return {
    principal: b.principal,
    host: '*',
    resourceType: RESOURCES[b.resource],
    resourceName: b.name,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation: OPERATIONS[b.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** Managing ACLs (needs ALTER on the cluster: a super user). */
export interface KafkaAclAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Adds ALLOW rules; adding a rule that exists changes nothing. */
  create(bindings: readonly AclBinding[]): Promise<void>;
  /** The literal ALLOW rules of one principal (every principal when omitted). */
  list(principal?: string): Promise<AclBinding[]>;
  /** Removes exactly these rules. */
  remove(bindings: readonly AclBinding[]): Promise<void>;
}

export function createKafkaAclAdmin(config: KafkaClientConfig, logger?: Logger): KafkaAclAdmin {
  const admin: Admin = createKafkaJs(config, logger).admin();
  return {
    connect: () => explained(config, 'connecting', () => admin.connect()),
    disconnect: () => admin.disconnect(),
    async create(bindings) {
      if (bindings.length === 0) return;
      await explained(config, 'creating ACLs', () =>
        admin.createAcls({ acl: bindings.map(entry) }),
      );
    },
    async list(principal) {
      const response = await explained(config, 'describing ACLs', () =>
        admin.describeAcls({
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          ...(principal === undefined ? {} : { principal }),
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ALLOW,
        }),
      );
      return response.resources.flatMap((r) =>
        r.acls.flatMap((a) => {
          const resource = RESOURCE_NAMES.get(r.resourceType);
          const operation = OPERATION_NAMES.get(a.operation);
          return resource && operation
            ? [{ principal: a.principal, resource, name: r.resourceName, operation }]
            : [];
        }),
      );
    },
    async remove(bindings) {
      if (bindings.length === 0) return;
      await explained(config, 'deleting ACLs', () =>
        admin.deleteAcls({ filters: bindings.map(entry) }),
      );
    },
  };
}
