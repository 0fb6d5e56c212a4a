import { realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors, type EvotuneError } from '../../errors.js';
import type { FitnessSource } from '../../eval/source.js';
import type { TrialOutcome } from '../../eval/types.js';
import type { WorkerEvent } from '../../eval/queue/queue-worker.js';
import { printable } from '../../eval/queue/protocol.js';
import { redisTarget } from '../../eval/queue/url.js';
import { formatValue } from '../output.js';

export const command = 'worker';
export const describe = 'Run trials for searches started with --executor redis://host:6379 (one per machine)';

/** Read when --redis is not given: a URL in the environment does not show in the process list, its password neither. */
const URL_ENV = 'EVOTUNE_REDIS_URL';

export function builder(y: Argv) {
  return y
    .option('redis', { type: 'string', requiresArg: true, describe: `redis://[:password@]host:6379, rediss:// for TLS (default: $${URL_ENV})` })
    .option('concurrency', { type: 'number', requiresArg: true, describe: 'trials run at once, one thread each (default: number of cores)' })
    .option('allow', {
      type: 'string',
      array: true,
      describe: 'load fitness and task modules only from under this folder (repeatable; default: any module file on this machine)',
    })
    .option('stall-timeout', {
      type: 'number',
      requiresArg: true,
      default: 30,
      describe: 'seconds without a sign of life from a worker before its trials go back to the queue',
    })
    .example('$0 worker --redis redis://host:6379 --concurrency 2', 'take trials of searches run with --executor redis://host:6379')
    .example(`${URL_ENV}=redis://:secret@host:6379 $0 worker --allow ./tasks`, 'password out of the process list; modules only from ./tasks');
}

type Args = ArgumentsCamelCase<Record<string, unknown>>;

export async function handler(args: Args): Promise<void> {
  const rawUrl = typeof args.redis === 'string' ? args.redis : process.env[URL_ENV];
  if (rawUrl === undefined) throw errors.option('--redis', `a redis:// or rediss:// URL (or set ${URL_ENV})`, undefined);
  const target = redisTarget(rawUrl, '--redis');
  const slots = wholeAtLeast1('--concurrency', args.concurrency ?? availableParallelism());
  const stallSeconds = args.stallTimeout;
  if (typeof stallSeconds !== 'number' || !(stallSeconds >= 1)) throw errors.option('--stall-timeout', 'a number of seconds >= 1', stallSeconds);
  const allow = ((args.allow as string[] | undefined) ?? []).map(existingFolder);

  // Loaded here, not at the top: bullmq and ioredis take a third of a second to import, and every command pays
  // for the imports of every command module.
  const { QueueWorker } = await import('../../eval/queue/queue-worker.js');
  // Lines quote what studies wrote to Redis (host names, module paths): printable() defuses terminal escapes.
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${printable(line)}\n`);
  const tally = { done: 0, failed: 0 };
  let fatal: EvotuneError | undefined;
  let finished!: () => void;
  const stopped = new Promise<void>((r) => (finished = r));
  const worker = new QueueWorker({
    target,
    slots,
    allow,
    stallMs: stallSeconds * 1000,
    report: (e) => {
      if (e.type === 'finished') tally[e.outcome.state === 'complete' ? 'done' : 'failed']++;
      log(describeEvent(e));
    },
    onFatal: (e) => {
      fatal = e;
      finished();
    },
  });

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log(`${sig}: taking no more trials; finishing ${worker.running} running (${sig} again hands them back to the queue)`);
      void worker.stop().then(finished);
    } else if (signals === 2) {
      log(`${sig}: handing running trials back to the queue (${sig} again quits at once)`);
      void worker.stopNow().then(finished);
    } else {
      // Redis may be unreachable, so handing back may never end; trials left running are retaken after the stall timeout.
      log(`${sig}: quitting at once`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  log(
    `worker ${worker.id}: ${slots} trial slot${slots === 1 ? '' : 's'} on ${target.display}; loads ${allow.length > 0 ? `modules under ${allow.join(', ')}` : 'any module file present on this machine (restrict with --allow DIR)'} and bundled tasks`,
  );
  worker.start();
  try {
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  log(`stopped: ${tally.done + tally.failed} trials run, ${tally.failed} failed`);
  if (fatal) throw fatal;
}

function wholeAtLeast1(flag: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw errors.option(flag, 'a whole number >= 1', value);
  return value;
}

function existingFolder(dir: string): string {
  const abs = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw errors.option('--allow', 'an existing folder', dir);
  return realpathSync(abs);
}

const describeSource = (s: FitnessSource) => (s.kind === 'module' ? `fitness module ${s.url}` : `task ${s.task} (backend ${s.backend})`);

function describeOutcome(o: TrialOutcome): string {
  const took = `in ${(o.durationMs / 1000).toFixed(1)} s`;
  if (o.state === 'complete') return `ok ${formatValue(o.value)} ${took}`;
  if (o.state === 'pruned') return `pruned at step ${o.step} (${formatValue(o.value)}) ${took}`;
  return `failed (${o.kind}) ${took}: ${o.message}`;
}

function describeEvent(e: WorkerEvent): string {
  switch (e.type) {
    case 'connection':
      return e.message;
    case 'skipped':
      return `skipped roster entry ${JSON.stringify(e.entry)}: ${e.reason}`;
    case 'started':
      return `study ${e.study}: trial ${e.trial} started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'finished':
      return `study ${e.study}: trial ${e.trial} ${describeOutcome(e.outcome)}`;
    case 'problem':
      return `study ${e.study}: ${e.message}`;
    case 'study':
      switch (e.state) {
        case 'loading':
          return `study ${e.study} from ${e.host}: loading ${describeSource(e.source)}`;
        case 'ready':
          return `study ${e.study}: ready, taking trials`;
        case 'refused':
          return `study ${e.study}: refused: ${e.reason}`;
        case 'ended':
          return `study ${e.study}: ended`;
        case 'gone':
          return `study ${e.study}: gone (no sign of it for a while); its trials here were stopped`;
      }
  }
}
