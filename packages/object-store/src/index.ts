export * from './config.ts';
export * from './store.ts';
export * from './s3-store.ts';
export * from './local-store.ts';
export * from './open-store.ts';
export * from './aws-request-signer.ts';
