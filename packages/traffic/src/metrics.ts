import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The generator's metrics (`loglake_generator_*`); see docs/metrics.md. */
export function createGeneratorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sent: new Counter({
      name: 'loglake_generator_events_sent_total',
      help: 'Events sent (first attempt).',
      registers,
    }),
    accepted: new Counter({
      name: 'loglake_generator_events_accepted_total',
      help: 'Events the gateway (or Kafka, with --direct-kafka) acknowledged.',
      registers,
    }),
    rejected: new Counter({
      name: 'loglake_generator_events_rejected_total',
      help: 'Events finally rejected: invalid, or still refused after the last attempt.',
      registers,
    }),
    retries: new Counter({
      name: 'loglake_generator_retries_total',
      help: 'Requests retried after 429, 503 or a network error.',
      registers,
    }),
    duration: new Histogram({
      name: 'loglake_generator_request_duration_seconds',
      help: 'From when a batch was due (open loop) to its final answer, retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    targetRate: new Gauge({
      name: 'loglake_generator_target_rate',
      help: 'The configured rate, events per second.',
      registers,
    }),
  };
}

export type GeneratorMetrics = ReturnType<typeof createGeneratorMetrics>;
