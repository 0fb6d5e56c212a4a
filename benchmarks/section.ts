/** What a benchmark section is: its id and title, how it runs, and how its saved data read (sections.ts lists them). */
import type { BackendOption } from '../src/options.js';
import type { SectionBody } from './report.js';

export interface SectionContext {
  readonly quick: boolean;
  /** The tfjs backend of every section that trains: the same everywhere, so that sections compare. */
  readonly backend: BackendOption;
  /** A progress line for the person waiting. */
  readonly log: (line: string) => void;
  /**
   * A full run's own folder (benchmarks/progress.ts) and the commit it measures: a long section keeps its finished
   * parts there, keyed by that commit, and skips them when the run goes on after a stop. Absent in quick runs and
   * runs of uncommitted code, which start from nothing.
   */
  readonly progress?: { readonly dir: string; readonly commit: string };
}

export type SectionRun = ({ readonly kind: 'ran' } & SectionBody) | { readonly kind: 'skipped'; readonly reason: string };

export interface Section {
  readonly id: string;
  readonly title: string;
  run(ctx: SectionContext): Promise<SectionRun>;
  /**
   * The markdown of a saved run's data with today's code: benchmarks/RESULTS.md is rebuilt from the results files
   * through it, so a change to how a table reads reaches every committed run. Without it the saved markdown is used.
   */
  render?(data: unknown): string;
}
