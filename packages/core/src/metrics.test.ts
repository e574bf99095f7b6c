import { describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { createRegistry, serveMetrics } from './metrics.ts';

describe('serveMetrics', () => {
  it('serves the registry on GET /metrics, default labels and process metrics included, and 404 elsewhere', async () => {
    const registry = createRegistry({ service: 'test' });
    new Counter({ name: 'loglake_test_things_total', help: 'things', registers: [registry] }).inc(
      3,
    );
    const server = await serveMetrics(registry, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('loglake_test_things_total{service="test"} 3');
      expect(text).toContain('process_cpu_seconds_total');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
