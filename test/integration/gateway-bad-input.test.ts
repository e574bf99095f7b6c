import { gzipSync } from 'node:zlib';
import { describe, expect } from 'vitest';
import { consumeAll } from '../support/consume.ts';
import { test } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

interface BadCase {
  name: string;
  body: () => string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: string;
  eventCode?: string;
}

const deep = (n: number) => `{"event_type":"a","x":${'['.repeat(n)}${']'.repeat(n)}}`;

const CASES: BadCase[] = [
  { name: 'malformed JSON', body: () => '{"event_type":"a",', status: 400, code: 'INVALID_JSON' },
  {
    name: 'wrong types',
    body: () => '[{"event_type":"a","bid":"high","campaign_id":"x"}]',
    status: 400,
    code: 'ALL_EVENTS_INVALID',
    eventCode: 'FIELD_TYPE',
  },
  {
    name: 'truncated gzip',
    body: () => gzipSync(Buffer.from('[{"event_type":"a"}]')).subarray(0, 15),
    headers: { 'content-encoding': 'gzip' },
    status: 400,
    code: 'INVALID_COMPRESSION',
  },
  {
    name: 'gzip bomb (1 GiB of spaces in ~1 MB)',
    body: () => gzipSync(Buffer.alloc(1024 * 1024 * 1024, 0x20), { level: 9 }),
    headers: { 'content-encoding': 'gzip' },
    status: 413,
    code: 'DECOMPRESSED_TOO_LARGE',
  },
  {
    name: '10 MB single event',
    body: () => JSON.stringify({ event_type: 'a', message: 'x'.repeat(10 * 1024 * 1024) }),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    name: '100,000-event array',
    body: () => `[${Array.from({ length: 100_000 }, () => '{"event_type":"a"}').join(',')}]`,
    status: 413,
    code: 'TOO_MANY_EVENTS',
  },
  {
    name: 'invalid UTF-8',
    body: () =>
      Buffer.concat([Buffer.from('{"event_type":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    status: 400,
    code: 'INVALID_UTF8',
  },
  {
    name: 'overlong UTF-8 encoding',
    body: () =>
      Buffer.concat([Buffer.from('{"event_type":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
    status: 400,
    code: 'INVALID_UTF8',
  },
  {
    name: 'lone surrogate escape',
    body: () => '{"event_type":"a","message":"\\ud800"}',
    status: 400,
    code: 'ALL_EVENTS_INVALID',
    eventCode: 'STRING_NOT_WELL_FORMED',
  },
  {
    name: 'deep nesting inside an event',
    body: () => deep(50),
    status: 400,
    code: 'ALL_EVENTS_INVALID',
    eventCode: 'EVENT_TOO_DEEP',
  },
  {
    name: 'deep nesting of the body (100,000 levels)',
    body: () => '['.repeat(100_000) + ']'.repeat(100_000),
    status: 400,
    code: 'ALL_EVENTS_INVALID',
    eventCode: 'EVENT_NOT_OBJECT',
  },
  {
    name: '__proto__ key',
    body: () => '{"event_type":"a","__proto__":{"isAdmin":true}}',
    status: 400,
    code: 'ALL_EVENTS_INVALID',
    eventCode: 'FORBIDDEN_KEY',
  },
  {
    name: 'constructor.prototype keys',
    body: () => '{"event_type":"a","x":{"constructor":{"prototype":{"isAdmin":true}}}}',
    status: 400,
    code: 'ALL_EVENTS_INVALID',
    eventCode: 'FORBIDDEN_KEY',
  },
  {
    name: 'wrong content type',
    body: () => 'event_type=a',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'unknown encoding',
    body: () => '{"event_type":"a"}',
    headers: { 'content-encoding': 'compress' },
    status: 415,
    code: 'UNSUPPORTED_ENCODING',
  },
  { name: 'empty body', body: () => '', status: 400, code: 'EMPTY_BODY' },
  {
    name: 'a bare string',
    body: () => '"hello"',
    status: 400,
    code: 'ALL_EVENTS_INVALID',
    eventCode: 'EVENT_NOT_OBJECT',
  },
];

describe('bad input against the running gateway', () => {
  test('each bad request gets its documented 4xx as JSON, and good requests keep being served', async ({
    kafka,
    topic,
    dlqTopic,
  }) => {
    // Bodies are built before the gateway starts: the 1 GiB gzip bomb alone takes seconds of CPU.
    const bodies = CASES.map((c) => c.body());
    const gw = await startGateway(kafka, topic, dlqTopic);
    const goodIds: string[] = [];
    try {
      let n = 0;
      const good = async () => {
        const id = `good-${n++}`;
        const r = await gw.post(
          JSON.stringify({ event_type: 'good', event_id: id, message: 'naïve 🚀 𝒳 \u202e' }),
        );
        expect(r.status).toBe(200);
        goodIds.push(id);
      };
      for (const [i, c] of CASES.entries()) {
        await good();
        // A good request runs beside each bad one, too.
        const [bad] = await Promise.all([gw.post(bodies[i] ?? '', c.headers), good()]);
        expect({ name: c.name, status: bad.status, code: bad.body.error?.code }).toEqual({
          name: c.name,
          status: c.status,
          code: c.code,
        });
        expect(bad.body.accepted).toBe(0);
        if (c.eventCode) expect(bad.body.rejected[0]?.code, c.name).toBe(c.eventCode);
      }
      await good();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(gw.child.exitCode).toBeNull();
      const inTopic = (await consumeAll(kafka, topic)).map((r) => JSON.parse(r.text));
      expect(inTopic.map((e) => e.event_id).sort()).toEqual([...goodIds].sort());
      expect(inTopic.every((e) => e.message === 'naïve 🚀 𝒳 \u202e')).toBe(true);
      const dlq = (await consumeAll(kafka, dlqTopic)).map((r) => JSON.parse(r.text));
      expect(dlq.map((d) => d.code)).toEqual(
        expect.arrayContaining(['FIELD_TYPE', 'EVENT_TOO_DEEP', 'FORBIDDEN_KEY']),
      );
    } finally {
      await gw.stop();
    }
  });
});
