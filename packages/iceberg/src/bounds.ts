import type { PrimitiveType } from './types.ts';

/**
 * Iceberg's single-value binary serialization (spec Appendix D) of a column's lower or upper
 * bound, for the types the event table has bounds for: int 4-byte LE, long and timestamptz
 * (microseconds) 8-byte LE, double 8-byte LE IEEE. NaN is never a bound. Strings get no bounds here:
 * omitting them is always correct, a wrong or badly truncated one hides rows from readers.
 */
export function encodeBound(type: PrimitiveType, value: number | bigint): Buffer | undefined {
  switch (type) {
    case 'int': {
      const buf = Buffer.alloc(4);
      buf.writeInt32LE(Number(value));
      return buf;
    }
    case 'long':
    case 'timestamp':
    case 'timestamptz': {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(BigInt(value));
      return buf;
    }
    case 'double': {
      if (Number.isNaN(Number(value))) return undefined;
      const buf = Buffer.alloc(8);
      buf.writeDoubleLE(Number(value));
      return buf;
    }
    default:
      return undefined;
  }
}
