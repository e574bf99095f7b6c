/**
 * The largest produce call loglake makes, in bytes of keys and values (Java's `max.request.size`
 * default). Each partition's record batch of one call is at most this plus record overheads, under
 * the `max.message.bytes` loglake gives its topics (`TOPIC_MAX_MESSAGE_BYTES`).
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * `items` in order, cut into consecutive runs of at most `maxBytes` (by `size`); an item larger than
 * `maxBytes` goes alone. One run (the same array) when everything fits.
 */
export function chunksBySize<T>(items: T[], size: (item: T) => number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && bytes + n > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks.length <= 1 ? [items] : chunks;
}
