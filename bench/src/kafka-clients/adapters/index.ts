import type { ClientAdapter } from '../adapter.ts';
import { confluentKafkaJs, confluentRdKafka } from './confluent.ts';
import { kafkajs } from './kafkajs.ts';
import { platformatic } from './platformatic.ts';

/** Every client of the bench, in the order of the table. */
export const ADAPTERS: readonly ClientAdapter[] = [
  kafkajs,
  platformatic,
  confluentKafkaJs,
  confluentRdKafka,
];

export function adapterById(id: string): ClientAdapter {
  const adapter = ADAPTERS.find((a) => a.id === id);
  if (!adapter)
    throw new Error(`unknown client ${id}; known: ${ADAPTERS.map((a) => a.id).join(', ')}`);
  return adapter;
}
