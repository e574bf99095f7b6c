/** After the run: `pnpm verify` on the generator's summary and `pnpm lake:check`, as an operator runs them. */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

export interface ScriptRun {
  readonly command: string;
  readonly code: number | null;
  /** The last line of stdout that parses as a JSON object, or null. */
  readonly json: Record<string, unknown> | null;
  readonly stderrTail: string;
}

/** Runs `pnpm --silent <script> …args` in the repository, its output also appended to `logFile`. */
export function runScript(
  root: string,
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  logFile: string,
): Promise<ScriptRun> {
  const command = `pnpm ${script} ${args.join(' ')}`;
  appendFileSync(logFile, `\n----- ${new Date().toISOString()} ${command}\n`);
  const child = spawn('pnpm', ['--silent', script, ...args], {
    cwd: root,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    appendFileSync(logFile, c);
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    appendFileSync(logFile, c);
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      let json: Record<string, unknown> | null = null;
      for (const line of stdout.trim().split('\n').reverse()) {
        try {
          const v: unknown = JSON.parse(line);
          if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
            json = v as Record<string, unknown>;
            break;
          }
        } catch {
          // not JSON
        }
      }
      resolve({ command, code, json, stderrTail: stderr.trim().split('\n').slice(-15).join('\n') });
    }),
  );
}

/** Whether `pnpm verify` takes the generator's summary (`--summary FILE`), or only `--run/--expected`. */
export async function verifyTakesSummary(
  root: string,
  env: Readonly<Record<string, string>>,
  logFile: string,
): Promise<boolean> {
  const help = await new Promise<string>((resolve) => {
    const child = spawn('pnpm', ['--silent', 'verify', '--help'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.once('close', () => resolve(text));
  });
  appendFileSync(logFile, `\n----- pnpm verify --help\n${help}`);
  return help.includes('--summary');
}
