import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_ERRORS } from './http-errors.ts';
import { toGatewayError } from './app.ts';
import { testGateway } from './testing.ts';

const KEY = { 'x-api-key': 'key-web' };
const JSON_TYPE = { 'content-type': 'application/json' };
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' };

type Gateway = ReturnType<typeof testGateway>;
let gw: Gateway;
afterEach(async () => {
  await gw.app.close();
});

function post(body: string | Buffer, headers: Record<string, string> = {}) {
  return gw.app.inject({
    method: 'POST',
    url: '/events',
    payload: body,
    headers: { ...KEY, ...JSON_TYPE, ...headers },
  });
}

interface Body {
  accepted: number;
  event_ids: string[];
  rejected: { index: number; code: string; field?: string; message: string }[];
  error?: { code: string; message: string };
}
const bodyOf = (r: { body: string }) => JSON.parse(r.body) as Body;
const seen = new Set<string>();
function expectError(
  r: { statusCode: number; body: string; headers: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/application\/json/);
  const b = bodyOf(r);
  expect(b.error?.code).toBe(code);
  expect(b.error?.message.length).toBeGreaterThan(5);
  expect(b.accepted).toBe(0);
  seen.add(code);
}

describe('POST /events accepts', () => {
  it('one object, acknowledged by Kafka before the 200, with its event id', async () => {
    gw = testGateway();
    const r = await post(JSON.stringify({ event_type: 'click', user_id: 'u1', campaign_id: 3 }));
    expect(r.statusCode).toBe(200);
    const b = bodyOf(r);
    expect(b).toMatchObject({ accepted: 1, rejected: [] });
    const records = gw.producer.records('log-data');
    expect(records).toHaveLength(1);
    expect(records[0]?.key).toBe('u1');
    expect(JSON.parse(String(records[0]?.value))).toMatchObject({
      event_id: b.event_ids[0],
      source: 'web',
      campaign_id: 3,
    });
  });

  it('an array and NDJSON, in request order', async () => {
    gw = testGateway();
    const arr = await post(
      JSON.stringify([
        { event_type: 'a', event_id: 'e1' },
        { event_type: 'b', event_id: 'e2' },
      ]),
    );
    expect(bodyOf(arr).event_ids).toEqual(['e1', 'e2']);
    const nd = await post(
      '{"event_type":"c","event_id":"e3"}\r\n\n{"event_type":"d","event_id":"e4"}\n',
      NDJSON_TYPE,
    );
    expect(bodyOf(nd).event_ids).toEqual(['e3', 'e4']);
    expect(
      gw.producer.records('log-data').map((r) => JSON.parse(String(r.value)).event_id),
    ).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('a %s-compressed body', async (encoding, compress) => {
    gw = testGateway();
    const r = await post(
      compress(Buffer.from(JSON.stringify([{ event_type: 'a' }, { event_type: 'b' }]))),
      {
        'content-encoding': encoding,
      },
    );
    expect(bodyOf(r).accepted).toBe(2);
  });

  it('a bearer token as the API key', async () => {
    gw = testGateway();
    const r = await gw.app.inject({
      method: 'POST',
      url: '/events',
      payload: '{"event_type":"a"}',
      headers: { authorization: 'Bearer key-web', ...JSON_TYPE },
    });
    expect(r.statusCode).toBe(200);
  });

  it('part of a request: valid events produced, invalid ones listed by index and dead-lettered', async () => {
    gw = testGateway();
    const r = await post(
      '{"event_type":"a","event_id":"ok1"}\n{"event_type":\n{"bid":1}\n{"event_type":"b","event_id":"ok2","bid":"high"}\n{"event_type":"c","event_id":"ok3"}',
      NDJSON_TYPE,
    );
    expect(r.statusCode).toBe(200);
    const b = bodyOf(r);
    expect(b.accepted).toBe(2);
    expect(b.event_ids).toEqual(['ok1', 'ok3']);
    expect(b.rejected.map((x) => [x.index, x.code, x.field])).toEqual([
      [1, 'INVALID_JSON_LINE', undefined],
      [2, 'FIELD_REQUIRED', 'event_type'],
      [3, 'FIELD_TYPE', 'bid'],
    ]);
    await gw.ingestor.shutdown(); // drains the DLQ batcher too
    const dlq = gw.producer
      .records('log-data-dlq')
      .map((rec) => JSON.parse(String(rec.value)) as Record<string, unknown>);
    expect(dlq.map((d) => [d.index, d.code, d.stage])).toEqual([
      [1, 'INVALID_JSON_LINE', 'gateway'],
      [2, 'FIELD_REQUIRED', 'gateway'],
      [3, 'FIELD_TYPE', 'gateway'],
    ]);
    expect(dlq[0]?.raw).toBe('{"event_type":');
    expect(dlq[2]?.raw).toContain('"high"');
  });

  it('concurrent requests in fewer produce calls (micro-batching)', async () => {
    gw = testGateway({ lingerMs: 20 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(JSON.stringify({ event_type: 'a', seq: i }))),
    );
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(gw.producer.records('log-data')).toHaveLength(20);
    expect(gw.producer.sent.length).toBeLessThan(20);
  });

  it('prototype keys are refused and pollute nothing', async () => {
    gw = testGateway();
    const r = await post(
      '[{"event_type":"a","__proto__":{"polluted":true}},{"event_type":"b","x":{"constructor":{"prototype":{"polluted":true}}}}]',
    );
    expectError(r, 400, 'ALL_EVENTS_INVALID');
    expect(bodyOf(r).rejected.map((x) => x.code)).toEqual(['FORBIDDEN_KEY', 'FORBIDDEN_KEY']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('POST /events refuses', () => {
  it('401 without a key, 401 with an unknown key; open mode takes both', async () => {
    gw = testGateway();
    expectError(
      await gw.app.inject({ method: 'POST', url: '/events', payload: '{}', headers: JSON_TYPE }),
      401,
      'API_KEY_MISSING',
    );
    expectError(await post('{}', { 'x-api-key': 'nope' }), 401, 'API_KEY_INVALID');
    await gw.app.close();
    gw = testGateway({ openMode: true });
    const r = await gw.app.inject({
      method: 'POST',
      url: '/events',
      payload: '{"event_type":"a","source":"ios"}',
      headers: JSON_TYPE,
    });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(String(gw.producer.records('log-data')[0]?.value)).source).toBe('ios');
  });

  it('400 for malformed JSON, invalid UTF-8, a truncated gzip body, and empty bodies', async () => {
    gw = testGateway();
    expectError(await post('{"event_type": "a",'), 400, 'INVALID_JSON');
    expectError(
      await post(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
      400,
      'INVALID_UTF8',
    );
    const gz = gzipSync(Buffer.from(JSON.stringify([{ event_type: 'a' }])));
    expectError(
      await post(gz.subarray(0, gz.length - 10), { 'content-encoding': 'gzip' }),
      400,
      'INVALID_COMPRESSION',
    );
    expectError(await post(''), 400, 'EMPTY_BODY');
    expectError(await post('[]'), 400, 'EMPTY_BODY');
    expectError(await post('\n\n', NDJSON_TYPE), 400, 'EMPTY_BODY');
  });

  it('400 when every event is invalid, with each one listed', async () => {
    gw = testGateway();
    const r = await post('[{"event_type":1},"text",null]');
    expectError(r, 400, 'ALL_EVENTS_INVALID');
    expect(bodyOf(r).rejected.map((x) => x.code)).toEqual([
      'FIELD_TYPE',
      'EVENT_NOT_OBJECT',
      'EVENT_NOT_OBJECT',
    ]);
    expect(gw.producer.records('log-data')).toHaveLength(0);
  });

  it('413 for a body over the limit, a gzip bomb, and too many events', async () => {
    gw = testGateway({}, 64 * 1024);
    expectError(
      await post(JSON.stringify({ event_type: 'a', message: 'x'.repeat(70 * 1024) })),
      413,
      'BODY_TOO_LARGE',
    );
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expectError(await post(bomb, { 'content-encoding': 'gzip' }), 413, 'DECOMPRESSED_TOO_LARGE');
    const many = JSON.stringify(Array.from({ length: 1001 }, () => ({ event_type: 'a' })));
    expectError(await post(gzipSync(many), { 'content-encoding': 'gzip' }), 413, 'TOO_MANY_EVENTS');
    const manyLines = Array.from({ length: 1001 }, () => '{"event_type":"a"}').join('\n');
    expectError(
      await post(gzipSync(manyLines), { 'content-encoding': 'gzip', ...NDJSON_TYPE }),
      413,
      'TOO_MANY_EVENTS',
    );
  });

  it('415 for another media type or encoding', async () => {
    gw = testGateway();
    expectError(
      await post('event_type=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await gw.app.inject({ method: 'POST', url: '/events', payload: 'x', headers: KEY }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(await post('{}', { 'content-encoding': 'zstd' }), 415, 'UNSUPPORTED_ENCODING');
  });

  it('429 with Retry-After over the per-key rate', async () => {
    gw = testGateway({ rateLimitPerS: 10, rateLimitBurst: 10 });
    expect(
      (await post(JSON.stringify(Array.from({ length: 10 }, () => ({ event_type: 'a' })))))
        .statusCode,
    ).toBe(200);
    const r = await post('{"event_type":"a"}');
    expectError(r, 429, 'RATE_LIMITED');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('503 OVERLOADED at once when events awaiting acks exceed the budget, and recovery after acks', async () => {
    gw = testGateway({ inFlightMaxEvents: 5 });
    gw.producer.mode = 'hold';
    const pending = post(JSON.stringify(Array.from({ length: 5 }, () => ({ event_type: 'a' }))));
    await new Promise((resolve) => setImmediate(resolve));
    const r = await post('{"event_type":"a"}');
    expectError(r, 503, 'OVERLOADED');
    expect(r.headers['retry-after']).toBe('1');
    // One refused request counts once.
    const refused = await gw.registry
      .getSingleMetric('loglake_gateway_requests_refused_total')
      ?.get();
    expect(refused?.values).toEqual([{ labels: { reason: 'overloaded' }, value: 1 }]);
    gw.producer.mode = 'ok';
    gw.producer.release();
    expect((await pending).statusCode).toBe(200);
    expect((await post('{"event_type":"a"}')).statusCode).toBe(200);
  });

  it('503 KAFKA_UNAVAILABLE within the time limit, fast while down, and recovery by itself', async () => {
    gw = testGateway({ kafkaTimeoutMs: 100 });
    gw.producer.mode = 'hold';
    const timedOut = await post('{"event_type":"a"}');
    expectError(timedOut, 503, 'KAFKA_UNAVAILABLE');
    expect(timedOut.headers['retry-after']).toBe('2');
    gw.setKafkaReachable(false);
    gw.producer.mode = 'fail';
    gw.producer.release();
    expectError(await post('{"event_type":"a"}'), 503, 'KAFKA_UNAVAILABLE');
    expect((await gw.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    gw.setKafkaReachable(true);
    gw.producer.mode = 'ok';
    await expect
      .poll(async () => (await gw.app.inject({ url: '/readyz' })).statusCode, { timeout: 5000 })
      .toBe(200);
    expect((await post('{"event_type":"a"}')).statusCode).toBe(200);
  });

  it('503 SHUTTING_DOWN after shutdown began, and /readyz says so', async () => {
    gw = testGateway();
    await gw.ingestor.shutdown();
    expectError(await post('{"event_type":"a"}'), 503, 'SHUTTING_DOWN');
    const ready = await gw.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ ready: false, reason: 'shutting_down' });
  });

  it('404 as JSON for unknown routes', async () => {
    gw = testGateway();
    expectError(await gw.app.inject({ url: '/nope' }), 404, 'NOT_FOUND');
  });

  it('500 INTERNAL_ERROR for anything unexpected, without internals', () => {
    gw = testGateway();
    const e = toGatewayError(Object.assign(new Error('secret detail'), { code: 'X' }));
    expect(e.statusCode).toBe(500);
    expect(e.message).toBe('internal error');
    seen.add(e.reason);
  });

  it('covered every error code of the registry', () => {
    gw = testGateway();
    expect([...seen].sort()).toEqual(Object.keys(GATEWAY_ERRORS).sort());
  });
});

describe('probes and docs', () => {
  it('/healthz, /readyz and /openapi.json', async () => {
    gw = testGateway();
    expect((await gw.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await gw.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const doc = JSON.parse((await gw.app.inject({ url: '/openapi.json' })).body) as {
      openapi: string;
      paths: object;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/events');
  });
});
