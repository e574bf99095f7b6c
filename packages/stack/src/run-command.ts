import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { LoglakeError } from '@loglake/core';
import { tailOf } from './log-tail.ts';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Output goes here (appended); the error names it. */
  readonly logFile: string;
  readonly what: string;
}

/** Runs a command to completion with its output in `logFile`; a non-zero exit is a coded error. */
export async function runCommand(
  cmd: string,
  args: readonly string[],
  options: RunOptions,
): Promise<void> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  try {
    const code = await new Promise<number | null>((resolveExit, reject) => {
      const child = spawn(cmd, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', fd, fd],
      });
      child.once('error', reject);
      child.once('exit', (exitCode) => resolveExit(exitCode));
    });
    if (code !== 0) {
      throw new LoglakeError(
        'LOGLAKE_STACK_COMMAND_FAILED',
        `${options.what} failed (exit ${code}); see ${options.logFile}\n${tailOf(options.logFile)}`,
      );
    }
  } catch (error) {
    if (error instanceof LoglakeError) throw error;
    throw new LoglakeError('LOGLAKE_STACK_COMMAND_FAILED', `${options.what}: cannot run ${cmd}`, {
      cause: error,
    });
  } finally {
    closeSync(fd);
  }
}
