export * from './paths.ts';
export * from './kafka.ts';
export * from './s3.ts';
export * from './iceberg.ts';
export * from './python-venv.ts';
export * from './prometheus.ts';
export * from './stack.ts';
export * from './services.ts';
