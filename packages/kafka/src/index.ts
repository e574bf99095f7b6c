export * from './config.ts';
export * from './admin.ts';
export * from './producer.ts';
export * from './consumer.ts';
