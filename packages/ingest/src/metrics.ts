import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's metrics; names follow `loglake_gateway_<name>_<unit>[_total]`. See docs/metrics.md. */
export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    requests: new Counter({
      name: 'loglake_gateway_requests_total',
      help: 'HTTP requests to POST /events, by response status code and error code ("none" on success).',
      labelNames: ['status', 'code'] as const,
      registers,
    }),
    requestBytes: new Counter({
      name: 'loglake_gateway_request_bytes_total',
      help: 'Bytes of POST /events bodies as received (before decompression).',
      registers,
    }),
    eventsReceived: new Counter({
      name: 'loglake_gateway_events_received_total',
      help: 'Events parsed from request bodies.',
      registers,
    }),
    eventsAccepted: new Counter({
      name: 'loglake_gateway_events_accepted_total',
      help: 'Events acknowledged by Kafka (acks=all) and answered with 2xx.',
      registers,
    }),
    eventsRejected: new Counter({
      name: 'loglake_gateway_events_rejected_total',
      help: 'Events refused as invalid, by reject code.',
      labelNames: ['code'] as const,
      registers,
    }),
    refused: new Counter({
      name: 'loglake_gateway_requests_refused_total',
      help: 'Requests answered 429 or 503 so that the client retries later, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    dlqEvents: new Counter({
      name: 'loglake_gateway_dlq_events_total',
      help: 'Dead-letter records written to the DLQ topic, and those dropped because the DLQ was unavailable or full.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    produceDuration: new Histogram({
      name: 'loglake_gateway_produce_duration_seconds',
      help: 'Duration of produce calls to Kafka (acks=all), by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    producedRecords: new Counter({
      name: 'loglake_gateway_produced_records_total',
      help: 'Records sent to Kafka, by topic and outcome.',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    producedBytes: new Counter({
      name: 'loglake_gateway_produced_bytes_total',
      help: 'Bytes of record values acknowledged by Kafka, by topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    inFlightBytes: new Gauge({
      name: 'loglake_gateway_inflight_bytes',
      help: 'Bytes of events awaiting Kafka acknowledgement.',
      registers,
    }),
    inFlightEvents: new Gauge({
      name: 'loglake_gateway_inflight_events',
      help: 'Events awaiting Kafka acknowledgement.',
      registers,
    }),
    inFlightBudgetBytes: new Gauge({
      name: 'loglake_gateway_inflight_budget_bytes',
      help: 'The configured ceiling of inflight bytes; at it, requests get 503.',
      registers,
    }),
    inFlightBudgetEvents: new Gauge({
      name: 'loglake_gateway_inflight_budget_events',
      help: 'The configured ceiling of inflight events; at it, requests get 503.',
      registers,
    }),
    kafkaUp: new Gauge({
      name: 'loglake_gateway_kafka_up',
      help: '1 while Kafka takes writes as the gateway last saw it, else 0.',
      registers,
    }),
    ready: new Gauge({
      name: 'loglake_gateway_ready',
      help: '1 while /readyz answers 200.',
      registers,
    }),
  };
  // Series of a closed label set exist from the start, so that increase() sees their first events.
  for (const outcome of ['written', 'dropped']) metrics.dlqEvents.inc({ outcome }, 0);
  return metrics;
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
