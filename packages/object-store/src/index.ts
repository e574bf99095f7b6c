export * from './config.ts';
export * from './store.ts';
export * from './s3-store.ts';
