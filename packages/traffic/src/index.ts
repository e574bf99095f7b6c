export * from './options.ts';
export * from './profiles.ts';
export * from './stats.ts';
export * from './sender.ts';
export * from './run.ts';
export * from './kafka-sender.ts';
export * from './metrics.ts';
