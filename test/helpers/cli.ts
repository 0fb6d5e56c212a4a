import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** Runs `evotune ...args` in this process and returns its exit code and what it printed. */
export async function runCli(args: readonly string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  // yargs prints help and the version with console.log, which vitest would capture before process.stdout.
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(' ')}\n`));
  try {
    const code = await main([...args]);
    return { code, stderr, stdout };
  } finally {
    err.mockRestore();
    out.mockRestore();
    log.mockRestore();
  }
}

/** Runs `evotune search ...args` in this process. */
export const searchCli = (args: readonly string[]) => runCli(['search', ...args]);
