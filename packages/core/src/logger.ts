import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly name: string;
  readonly level?: LevelWithSilent;
}

/** A pino logger writing JSON lines to stdout; event keys are snake_case (`sink_flush_completed`). */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.password', '*.secretAccessKey', '*.apiKeys', '*.credential'],
      censor: '[redacted]',
    },
  });
}
