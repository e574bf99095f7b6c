import { readFileSync } from 'node:fs';

/** The last lines of a log file, indented, for error messages. */
export function tailOf(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return text
      .slice(-lines)
      .map((l) => `    | ${l}`)
      .join('\n');
  } catch {
    return '    | (no log yet)';
  }
}
