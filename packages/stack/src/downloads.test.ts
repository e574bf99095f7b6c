import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyJars } from './downloads.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'jars-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('verifyJars', () => {
  const listing = (lines: string[]) => folder({ 'jars.sha256': `${lines.join('\n')}\n` });

  it('accepts exactly the listed jars with their sums', () => {
    const jars = folder({ 'a.jar': 'A', 'b.jar': 'B' });
    const sums = listing([`${sha('A')}  a.jar`, `${sha('B')}  b.jar`]);
    expect(() => verifyJars(jars, join(sums, 'jars.sha256'))).not.toThrow();
  });

  it('names a changed, an unlisted and a missing jar', () => {
    const jars = folder({ 'a.jar': 'changed', 'extra.jar': 'X' });
    const sums = listing([`${sha('A')}  a.jar`, `${sha('B')}  b.jar`]);
    expect(() => verifyJars(jars, join(sums, 'jars.sha256'))).toThrow(
      /a\.jar has sha256 [0-9a-f]{64}, expected[\s\S]*extra\.jar is not listed[\s\S]*b\.jar is missing/,
    );
  });
});
