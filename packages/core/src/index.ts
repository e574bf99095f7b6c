export * from './errors.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './env.ts';
