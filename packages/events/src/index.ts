export * from './fields.ts';
export * from './limits.ts';
export * from './rejects.ts';
export * from './time.ts';
export * from './uuid.ts';
export * from './validate.ts';
export * from './dlq.ts';
export * from './docs.ts';
