import { describe, expect, it } from 'vitest';
import { loadConfig, redacted } from './config.ts';

describe('gateway loadConfig', () => {
  it('needs API keys unless open mode is on', () => {
    expect(() => loadConfig({})).toThrow(/GATEWAY_API_KEYS/);
    expect(loadConfig({ GATEWAY_OPEN_MODE: 'true' }).ingest.openMode).toBe(true);
  });

  it('maps keys to sources and never logs the keys', () => {
    const c = loadConfig({ GATEWAY_API_KEYS: 'secretkey1:web, secretkey2:ios' });
    expect([...c.ingest.apiKeys]).toEqual([
      ['secretkey1', 'web'],
      ['secretkey2', 'ios'],
    ]);
    expect(JSON.stringify(redacted(c))).not.toContain('secretkey');
  });

  it('reports every problem at once', () => {
    const messageOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };
    const typos = messageOf({ GATEWAY_PORT: 'http', GATEWAY_OPEN_MODE: 'yes' });
    expect(typos).toContain('GATEWAY_PORT');
    expect(typos).toContain('GATEWAY_OPEN_MODE');
    const rules = messageOf({ GATEWAY_API_KEYS: 'short:web', GATEWAY_MAX_INFLIGHT_BATCHES: '4' });
    expect(rules).toContain('GATEWAY_API_KEYS');
    expect(rules).toContain('GATEWAY_MAX_INFLIGHT_BATCHES');
  });

  it('keeps one full request within the in-flight budget', () => {
    expect(() =>
      loadConfig({
        GATEWAY_OPEN_MODE: '1',
        GATEWAY_INFLIGHT_MAX_BYTES: '1000',
        GATEWAY_MAX_DECOMPRESSED_BYTES: '2000',
        GATEWAY_MAX_BODY_BYTES: '500',
      }),
    ).toThrow(/GATEWAY_INFLIGHT_MAX_BYTES/);
  });
});
