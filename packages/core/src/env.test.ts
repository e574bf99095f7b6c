import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envBoolean, envList, envPositiveInt, parseEnv } from './env.ts';
import { hasCode, isLoglakeError } from './errors.ts';

const schema = z.object({
  FLAG: envBoolean.default(false),
  LIST: envList.default([]),
  COUNT: envPositiveInt.default(10),
});

describe('parseEnv', () => {
  it('applies defaults and treats empty values as unset', () => {
    expect(parseEnv(schema, { FLAG: '', COUNT: '' }, 'test')).toEqual({
      FLAG: false,
      LIST: [],
      COUNT: 10,
    });
  });

  it('accepts only true/1/false/0 as booleans', () => {
    expect(parseEnv(schema, { FLAG: '1' }, 'test').FLAG).toBe(true);
    expect(parseEnv(schema, { FLAG: 'false' }, 'test').FLAG).toBe(false);
    expect(() => parseEnv(schema, { FLAG: 'yes' }, 'test')).toThrow(/FLAG/);
  });

  it('splits lists and drops blanks', () => {
    expect(parseEnv(schema, { LIST: ' a, ,b ' }, 'test').LIST).toEqual(['a', 'b']);
  });

  it('reports every problem at once, each with its variable name, as a coded error', () => {
    let caught: unknown;
    try {
      parseEnv(schema, { FLAG: 'maybe', COUNT: '-3' }, 'test');
    } catch (error) {
      caught = error;
    }
    expect(isLoglakeError(caught)).toBe(true);
    expect(hasCode(caught, 'LOGLAKE_CONFIG_INVALID')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('FLAG');
    expect(message).toContain('COUNT');
  });
});
