import { EvotuneError, isEvotuneError } from '../errors.js';
import type { StopReason } from '../study/types.js';

/** Exit codes: 0 success, 1 a failure while running, 2 bad usage or input. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Prints an error as one line (plus a hint) and returns the exit code; a stack trace only with --verbose. */
export function reportError(e: unknown, verbose: boolean): number {
  if (isEvotuneError(e)) {
    process.stderr.write(`evotune: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.kind === 'usage' ? EXIT.usage : EXIT.failure;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`evotune: unexpected failure: ${msg.split('\n')[0]}\n`);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('hint: run again with --verbose for details\n');
  return EXIT.failure;
}

/** camelCase option key -> the flag a user typed. */
export const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export { formatValue } from '../util/format.js';

export { EvotuneError };

/** Why a search ended, as the summary line says it. */
const STOP_PHRASES: Record<StopReason, string> = {
  budget: 'budget reached',
  time: 'time budget reached',
  target: 'target reached',
  exhausted: 'the strategy had nothing left to ask',
  stopped: 'interrupted (Ctrl-C or SIGTERM)',
};
export const stopPhrase = (reason: StopReason): string => STOP_PHRASES[reason] ?? `stopped (${String(reason)})`;
