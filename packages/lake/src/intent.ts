import { hasCode } from '@loglake/core';
import type { ObjectStore } from '@loglake/object-store';
import { intentKey } from './layout.ts';

/**
 * A flush's cut, recorded before any of its data objects is written: offsets `first`..`last` of one
 * partition, and the objects that hold them. Created once (conditional create); every later attempt,
 * by this process or another, follows it, so a replay writes the same objects with the same rows.
 */
export interface Intent {
  readonly version: 1;
  readonly topic: string;
  readonly partition: number;
  readonly first: string;
  readonly last: string;
  readonly files: readonly { readonly key: string; readonly rows: number }[];
  readonly dead_letters: number;
  readonly created_at: string;
  readonly writer: string;
}

export type IntentOutcome = { readonly status: 'created' } | { readonly status: 'exists'; readonly existing: Intent };

export async function readIntent(store: ObjectStore, topic: string, partition: number, first: bigint): Promise<Intent | null> {
  try {
    return JSON.parse((await store.get(intentKey(topic, partition, first))).toString('utf8')) as Intent;
  } catch (error) {
    if (hasCode(error, 'LOGLAKE_STORE_NOT_FOUND')) return null;
    throw error;
  }
}

export async function writeIntent(store: ObjectStore, intent: Intent): Promise<IntentOutcome> {
  const key = intentKey(intent.topic, intent.partition, BigInt(intent.first));
  const put = await store.put(key, Buffer.from(JSON.stringify(intent)), {
    ifAbsent: true,
    contentType: 'application/json',
  });
  if (put.status === 'created') return put;
  const existing = await readIntent(store, intent.topic, intent.partition, BigInt(intent.first));
  if (!existing) throw new Error(`intent ${key} exists but cannot be read`);
  return { status: 'exists', existing };
}
