import { z } from 'zod';
import { LoglakeError } from './errors.ts';

/** The environment as a plain record; `process.env` is read only in services' `main.ts`/`config.ts`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Booleans accept only "true"/"1" and "false"/"0" (an empty value means unset). */
export const envBoolean = z
  .enum(['true', '1', 'false', '0'], { message: 'expected "true", "1", "false" or "0"' })
  .transform((v) => v === 'true' || v === '1');

/** A comma-separated list with empty entries removed. */
export const envList = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

/** A positive integer written in decimal. */
export const envPositiveInt = z.coerce.number().int().positive();
export const envNonNegativeInt = z.coerce.number().int().nonnegative();

/** Drops empty strings so that `FOO=` behaves like an unset variable. */
export function compactEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/**
 * Parses `env` with `schema`; on failure throws one error that lists every problem
 * with the variable's name, so an operator fixes them all in one go.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env, what: string): z.output<S> {
  const result = schema.safeParse(compactEnv(env));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    return `${key}: ${issue.message}`;
  });
  throw new LoglakeError(
    'LOGLAKE_CONFIG_INVALID',
    `invalid ${what} configuration:\n  ${problems.join('\n  ')}`,
    {
      details: { problems },
    },
  );
}
