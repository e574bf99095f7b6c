/**
 * The event contract, declared once. Request validation, the Kafka value, the Parquet
 * columns and docs/events.md are all derived from this list.
 */
export type FieldType = 'string' | 'enum' | 'int32' | 'int64' | 'double' | 'timestamp';

export type FieldGroup = 'envelope' | 'tracking' | 'log';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly group: FieldGroup;
  readonly doc: string;
  /** Longest accepted string, in UTF-16 code units. */
  readonly maxLength?: number;
  /** The length is bounded by this configurable limit instead of a fixed `maxLength`. */
  readonly lengthLimit?: 'maxMessageLength';
  /** Accepted values of an `enum`. */
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Few distinct values: Parquet dictionary-encodes the column. */
  readonly lowCardinality?: boolean;
}

/**
 * Event times the lake can place: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (a four-digit
 * `dt=YYYY-MM-DD` folder, and a TIMESTAMP WITH TIME ZONE every reader accepts).
 */
export const TIMESTAMP_MIN_MS = -62135596800000;
export const TIMESTAMP_MAX_MS = 253402300799999;

export const CUSTOM_TRACK_VALUES = ['click', 'unqualified', 'qualified', 'conversion'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export const FIELDS: readonly FieldSpec[] = [
  // Envelope
  {
    name: 'event_id',
    type: 'string',
    group: 'envelope',
    maxLength: 128,
    doc: 'Unique id; the gateway assigns a UUIDv7 when absent and returns it. A client that makes its own once per event and sends it again with a resend gets the copy dropped by the sink.',
  },
  {
    name: 'event_type',
    type: 'string',
    group: 'envelope',
    maxLength: 128,
    lowCardinality: true,
    doc: 'What happened (required), e.g. `click`, `page_view`, `log`.',
  },
  {
    name: 'ts',
    type: 'timestamp',
    group: 'envelope',
    doc: 'Event time: RFC 3339 string or epoch milliseconds; defaults to receive time. Decides the dt/hour partition.',
  },
  {
    name: 'received_at',
    type: 'timestamp',
    group: 'envelope',
    doc: 'Set by the gateway when the request arrived.',
  },
  {
    name: 'source',
    type: 'string',
    group: 'envelope',
    maxLength: 128,
    lowCardinality: true,
    doc: 'Who sent it: from the API key, or from the body where the key allows it.',
  },
  // Recruitment-ad tracking (the original faking_data.py)
  {
    name: 'create_time',
    type: 'string',
    group: 'tracking',
    maxLength: 64,
    doc: 'Time-based UUID (v1) of the tracking call.',
  },
  { name: 'bid', type: 'double', group: 'tracking', min: 0, doc: 'Bid of the ad impression.' },
  { name: 'campaign_id', type: 'int64', group: 'tracking', min: 0, doc: 'Campaign.' },
  { name: 'company_id', type: 'int64', group: 'tracking', min: 0, doc: 'Advertising company.' },
  {
    name: 'publisher_id',
    type: 'int64',
    group: 'tracking',
    min: 0,
    doc: 'Publisher showing the ad.',
  },
  { name: 'group_id', type: 'int64', group: 'tracking', min: 0, doc: 'Ad group.' },
  { name: 'job_id', type: 'int64', group: 'tracking', min: 0, doc: 'Job advertised.' },
  {
    name: 'custom_track',
    type: 'enum',
    group: 'tracking',
    values: CUSTOM_TRACK_VALUES,
    lowCardinality: true,
    doc: 'Funnel step.',
  },
  // Web and app logs
  {
    name: 'level',
    type: 'enum',
    group: 'log',
    values: LOG_LEVELS,
    lowCardinality: true,
    doc: 'Log level.',
  },
  {
    name: 'message',
    type: 'string',
    group: 'log',
    lengthLimit: 'maxMessageLength',
    doc: 'Log message.',
  },
  {
    name: 'user_id',
    type: 'string',
    group: 'log',
    maxLength: 256,
    doc: 'User; the default partition key.',
  },
  {
    name: 'session_id',
    type: 'string',
    group: 'log',
    maxLength: 256,
    doc: 'Session; the partition key when there is no user.',
  },
  { name: 'url', type: 'string', group: 'log', maxLength: 4096, doc: 'URL requested or viewed.' },
  { name: 'status', type: 'int32', group: 'log', min: 0, max: 999, doc: 'HTTP status.' },
  { name: 'latency_ms', type: 'double', group: 'log', min: 0, doc: 'Latency in milliseconds.' },
  { name: 'user_agent', type: 'string', group: 'log', maxLength: 1024, doc: 'User agent.' },
  {
    name: 'ip',
    type: 'string',
    group: 'log',
    maxLength: 45,
    doc: 'Client IP address (IPv4 or IPv6 text).',
  },
];

/** Fields the client may not set; a value sent for them is kept in `extra` under the same name. */
export const SERVER_FIELDS: ReadonlySet<string> = new Set(['received_at']);

/** The JSON column that keeps every field the schema does not know. */
export const EXTRA_FIELD = 'extra';

export const FIELD_BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(
  FIELDS.map((f) => [f.name, f]),
);
