import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

export interface Chart {
  /** File-name stem, unique within its section, e.g. "curves-digits". */
  readonly name: string;
  readonly svg: string;
}

/** What a section produced: a markdown body for people, data for machines, pictures. */
export interface SectionBody {
  readonly markdown: string;
  readonly data: unknown;
  readonly charts: readonly Chart[];
}

export type SectionOutcome = { readonly id: string; readonly title: string } & (
  | ({ readonly status: 'ran'; readonly elapsedMs: number } & SectionBody)
  /** Did not run: the reason says what is missing (a module, a Redis server, ...). */
  | { readonly status: 'skipped'; readonly reason: string }
  /** Started and threw: the other sections still ran. */
  | { readonly status: 'failed'; readonly elapsedMs: number; readonly error: string }
);

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  /** 1-minute load average when the run started: a busy machine makes every timing below pessimistic. */
  readonly loadAtStart: number;
}

export interface RunMeta {
  /** ISO timestamp of the start. */
  readonly date: string;
  /** The command line as typed, to run the same thing again. */
  readonly command: string;
  readonly quick: boolean;
  /** The commit measured, with "-dirty" when the work tree had changes. */
  readonly commit?: string;
  readonly machine: Machine;
  /** Later sittings of a run that was stopped and went on (benchmarks/progress.ts): when, and the load then. */
  readonly resumed?: readonly { readonly date: string; readonly loadAtStart: number }[];
}

export function machineInfo(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    loadAtStart: Number(loadavg()[0]!.toFixed(2)),
  };
}

/** The commit of the current folder, if it is a git work tree. */
/** What runs write: a change there is a run's output, not a change to the code it measures. */
const OUTPUTS = /^"?benchmarks\/(results\/|RESULTS\.md"?$)/;

/**
 * Whether `git status --porcelain` output shows a change to the code a run measures. Runs' own outputs
 * (benchmarks/results/, RESULTS.md, new or rewritten) do not count: the next run of the day would otherwise be "dirty".
 */
export function changesCode(porcelain: string): boolean {
  return porcelain
    .split('\n')
    .filter((line) => line.trim() !== '')
    .some((line) => !OUTPUTS.test(line.slice(3)));
}

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

/** The commit a run measures: HEAD, marked -dirty when the working tree changes its code (changesCode). */
export function gitCommit(): string | undefined {
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${changesCode(git('status', '--porcelain')) ? '-dirty' : ''}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether the code here differs from `commit`'s: a commit between them (or the work tree) changes something other
 * than runs' outputs. An unknown or dirty commit counts as a change: nothing can show that its code is this code.
 */
export function codeChangedSince(commit: string): boolean {
  if (!/^[0-9a-f]{7,40}$/.test(commit)) return true;
  try {
    const names = git('diff', '--name-only', commit, 'HEAD');
    return names.split('\n').some((name) => name !== '' && !OUTPUTS.test(name)) || changesCode(git('status', '--porcelain'));
  } catch {
    return true;
  }
}

/**
 * The whole run as markdown: how it was made (machine, date, command), then each section, charts as images.
 * `chartHref` says where a chart's SVG file is, relative to where this markdown will be read.
 */
export function renderMarkdown(meta: RunMeta, sections: readonly SectionOutcome[], chartHref: (section: string, chart: Chart) => string): string {
  const m = meta.machine;
  const head = [
    `Run of ${meta.date.slice(0, 16).replace('T', ' ')} UTC${meta.quick ? ' (quick: small budgets, not for comparison with full runs)' : ''}.`,
    '',
    `- Command: \`${meta.command}\``,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}; load average ${m.loadAtStart} at the start`,
    ...(meta.commit ? [`- Commit: ${meta.commit}`] : []),
    ...(meta.resumed?.length
      ? [
          `- Stopped and resumed on the same code ${meta.resumed.length === 1 ? 'once' : `${meta.resumed.length} times`}: ${meta.resumed.map((r) => `${r.date.slice(0, 16).replace('T', ' ')} UTC (load ${r.loadAtStart})`).join(', ')}`,
        ]
      : []),
    `- Sections: ${sections.map((s) => `${s.id} (${s.status === 'ran' ? `${(s.elapsedMs / 1000).toFixed(0)} s` : s.status})`).join(', ')}`,
    '',
    'Timings are wall-clock on this machine and move with its load; ratios within a section were measured in one run.',
  ];
  const body = sections.map((s) => {
    const title = `## ${s.title}`;
    if (s.status === 'skipped') return `${title}\n\nSkipped: ${s.reason}`;
    if (s.status === 'failed') return `${title}\n\nFailed after ${(s.elapsedMs / 1000).toFixed(0)} s: ${s.error}`;
    const images = s.charts.map((c) => `![${c.name}](${chartHref(s.id, c)})`);
    return [title, '', s.markdown, ...(images.length ? ['', ...images] : [])].join('\n');
  });
  return [...head, '', ...body.flatMap((b) => [b, ''])].join('\n');
}

/** The whole run for machines: everything but the SVG text, which lives in its own files. */
export function renderJson(meta: RunMeta, sections: readonly SectionOutcome[], chartFile: (section: string, chart: Chart) => string): unknown {
  return {
    meta,
    sections: sections.map((s) => {
      if (s.status !== 'ran') return s;
      const { markdown: _m, charts, ...rest } = s;
      return { ...rest, charts: charts.map((c) => chartFile(s.id, c)) };
    }),
  };
}
