import { describe, expect, it } from 'vitest';
import { NdjsonRows, ndjsonOf } from './ndjson-rows.ts';

describe('NdjsonRows', () => {
  it('keeps rows as NDJSON bytes across chunks, each row whole in one chunk', () => {
    const rows = new NdjsonRows();
    const lines: string[] = [];
    // Rows of growing size: several chunk boundaries, and a row larger than a first chunk.
    for (let i = 0; i < 3000; i += 1) {
      const line = JSON.stringify({
        i,
        pad: 'x'.repeat(i % 97),
        big: i === 1500 ? 'y'.repeat(200_000) : '',
      });
      lines.push(line);
      rows.append(Buffer.from(line), 1000 + i);
    }
    expect(rows.rows).toBe(3000);
    expect(Buffer.concat(rows.buffers).toString('utf8')).toBe(`${lines.join('\n')}\n`);
    for (const i of [0, 1, 999, 1499, 1500, 1501, 2999]) {
      expect(rows.line(i).toString('utf8')).toBe(lines[i]);
      expect(rows.offsetAt(i)).toBe(BigInt(1000 + i));
    }
    const some = rows.select(1499, 1503, new Set([1500]));
    expect(some.rows).toBe(3);
    expect(Buffer.concat(some.buffers).toString('utf8')).toBe(
      `${[lines[1499], lines[1501], lines[1502]].join('\n')}\n`,
    );
  });

  it('makes encoder input of string lines', () => {
    expect(ndjsonOf([])).toEqual({ buffers: [], rows: 0 });
    const input = ndjsonOf(['{"a":1}', '{"b":"✓"}']);
    expect(input.rows).toBe(2);
    expect(Buffer.concat(input.buffers).toString('utf8')).toBe('{"a":1}\n{"b":"✓"}\n');
  });
});
