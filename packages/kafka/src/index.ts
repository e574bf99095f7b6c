export * from './config.ts';
export * from './admin.ts';
export * from './producer.ts';
export * from './consumer.ts';
export * from './errors.ts';
export * from './acls.ts';
export * from './topic-config.ts';
