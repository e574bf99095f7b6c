import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_LIMITS } from './limits.ts';
import { validateEvent } from './validate.ts';

/**
 * What the validator answered before it wrote the Kafka value in the same walk (one object, one
 * `JSON.stringify`, as of main at b885505): 90 events of the generator's three profiles (seed 7) and
 * edge and bad cases, each input with its answer, generated event ids masked. The one-pass validator
 * must answer the same, byte for byte.
 */
interface Case {
  readonly input: unknown;
  readonly json?: string;
  readonly ts?: number;
  readonly userId?: string | null;
  readonly sessionId?: string | null;
  readonly bytes?: number;
  readonly reject?: unknown;
}

const cases = JSON.parse(
  readFileSync(new URL('./testdata/validate-before-one-pass.json', import.meta.url), 'utf8'),
) as Case[];
const receivedAt = Date.UTC(2026, 10, 26, 12, 0, 0);
const UUIDV7 = /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;

describe('validateEvent against the answers recorded before the one-pass rewrite', () => {
  it('has the recorded cases', () => {
    expect(cases.length).toBeGreaterThan(100);
    expect(cases.filter((c) => c.reject).length).toBeGreaterThan(5);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const bodySource =
      typeof c.input === 'object' &&
      c.input !== null &&
      (c.input as { source?: unknown }).source === 'body';
    const r = validateEvent(c.input, {
      receivedAt,
      source: 'web',
      allowBodySource: bodySource,
      limits: DEFAULT_EVENT_LIMITS,
    });
    if (c.reject) {
      expect(r).toEqual({ ok: false, reject: c.reject });
      return;
    }
    if (!r.ok) throw new Error(`rejected: ${r.reject.code}`);
    expect({
      json: r.json.replace(UUIDV7, '<uuidv7>'),
      ts: r.ts,
      userId: r.userId ?? null,
      sessionId: r.sessionId ?? null,
      bytes: r.bytes,
    }).toEqual({
      json: c.json,
      ts: c.ts,
      userId: c.userId,
      sessionId: c.sessionId,
      bytes: c.bytes,
    });
  });
});
