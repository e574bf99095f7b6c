import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = Buffer.allocUnsafe(16 * 256);
let poolOffset = pool.length;
let lastMs = 0;
let counter = 0;

/** Two hex digits of byte `i` (a module function: a closure made on every call costs measurably). */
function h(b: Buffer, i: number): string {
  return HEX[b[i] ?? 0] ?? '00';
}

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; within one millisecond a
 * 12-bit counter in `rand_a` keeps ids from this process increasing.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  if (now === lastMs) counter = (counter + 1) & 0xfff;
  else {
    lastMs = now;
    counter = (b[6] ?? 0) & 0x7ff; // random start, with room to count up
  }
  const ms = Math.max(0, Math.floor(now));
  b[0] = Math.floor(ms / 2 ** 40) & 0xff;
  b[1] = Math.floor(ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | (counter >>> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  return `${h(b, 0)}${h(b, 1)}${h(b, 2)}${h(b, 3)}-${h(b, 4)}${h(b, 5)}-${h(b, 6)}${h(b, 7)}-${h(b, 8)}${h(b, 9)}-${h(b, 10)}${h(b, 11)}${h(b, 12)}${h(b, 13)}${h(b, 14)}${h(b, 15)}`;
}
