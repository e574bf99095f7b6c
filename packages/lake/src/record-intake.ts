/**
 * How one record enters a partition's open range: as its own bytes when the fast check recognises
 * a record stored unchanged (the normal path: no string, no object), else as `checkStoredEvent`
 * makes it (a normalized line, or poison with the exact reason), so dead letters stay exact.
 */
import { checkStoredEvent, scanStoredEvent } from '@loglake/events';
import type { DedupWindow } from './dedup-window.ts';
import type { RangeBuffer } from './range-buffer.ts';

/** Adds the record at `offset` to `buffer`; returns its size in bytes, negative when it was dropped as an event sent again. */
export function takeRecord(
  buffer: RangeBuffer,
  window: DedupWindow,
  offset: number,
  value: Buffer | null,
  now: number,
): number {
  const bytes = value?.length ?? 0;
  const recorded = buffer.recordedDuplicates;
  const scanned = scanStoredEvent(value);
  if (scanned) {
    if (window.takeDuplicate(offset, scanned.eventId, recorded)) {
      buffer.addDuplicate(offset, now, bytes);
      return -bytes;
    }
    buffer.add(offset, scanned.ts, value as Buffer, scanned.receivedAt, now, bytes);
    return bytes;
  }
  const checked = checkStoredEvent(value);
  if (!checked.ok) {
    buffer.addPoison(offset, checked.reject, value?.toString('utf8') ?? '', now, bytes);
    return bytes;
  }
  const e = checked.event;
  if (window.takeDuplicate(offset, e.eventId, recorded)) {
    buffer.addDuplicate(offset, now, bytes);
    return -bytes;
  }
  buffer.add(offset, e.ts, e.line, e.receivedAt, now, bytes);
  return bytes;
}

/** A record before the open range: only its event id matters, for the dedup window. */
export function rememberRecord(window: DedupWindow, offset: number, value: Buffer | null): void {
  if (!window.enabled) return;
  const scanned = scanStoredEvent(value);
  if (scanned) return window.add(offset, scanned.eventId);
  const checked = checkStoredEvent(value);
  if (checked.ok) window.add(offset, checked.event.eventId);
}
