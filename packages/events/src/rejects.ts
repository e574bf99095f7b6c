/** Why one event was refused; the gateway returns these by index and writes them to the DLQ. */
export const EVENT_REJECT_CODES = [
  'EVENT_NOT_OBJECT',
  'FIELD_REQUIRED',
  'FIELD_TYPE',
  'FIELD_TOO_LONG',
  'FIELD_OUT_OF_RANGE',
  'FIELD_VALUE_NOT_ALLOWED',
  'STRING_NOT_WELL_FORMED',
  'TS_OUT_OF_WINDOW',
  'EVENT_TOO_DEEP',
  'EVENT_TOO_LARGE',
  'FORBIDDEN_KEY',
  'INVALID_JSON_LINE',
] as const;

export type EventRejectCode = (typeof EVENT_REJECT_CODES)[number];

export interface EventReject {
  readonly code: EventRejectCode;
  readonly message: string;
  /** The field at fault, as a dotted path, where there is one. */
  readonly field?: string;
}
