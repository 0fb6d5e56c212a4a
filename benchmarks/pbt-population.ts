/**
 * PBT at equal epochs: how many members, and so how long each lineage trains. With a budget of E epochs a
 * population of P trains lineages of about E / P epochs, so the two cannot be chosen apart at equal cost; this
 * section measures the trade-off that the default rule (`autoPopulation`: as many members as the budget holds full
 * trainings of the task, 8 to 64) settles. Cells are the multi-fidelity section's (same plan, scoring, cache file and
 * MULTI_FIDELITY_* variables): its 'pbt' and 'pbt, 16 members' rows are reused, not trained again.
 */
import { autoPopulation } from '../strategies/pbt.js';
import { holm, mannWhitneyU, median, quantile } from '../src/bench/stats.js';
import { num, pValue, table } from '../src/bench/report-markdown.js';
import { taskEpochs } from '../src/tasks/config.js';
import { resolveTask } from '../src/tasks/registry.js';
import {
  firstSeed,
  METHODS,
  type Method,
  type MultiFidelityRow,
  cacheOptions,
  runMultiFidelity,
  seedsToRun,
  mostSeeds,
  tasksToRun,
} from './multi-fidelity.js';
import type { Section } from './section.js';

const FIXED = [8, 16, 32] as const;
const AUTO = METHODS.find((m) => m.id === 'pbt')!;
/** The default first, then fixed populations; 16 is the multi-fidelity section's own row (same id, same cells). */
const methods: readonly Method[] = [
  AUTO,
  ...FIXED.map((population) => ({ id: `pbt, ${population} members`, strategy: 'pbt' as const, strategyOptions: { population } })),
];

const PLAN = {
  quick: { tasks: ['wine'], epochs: { wine: 600 }, seeds: 3, retrainSeeds: 3 },
  full: { tasks: ['digits', 'spirals', 'wine'], epochs: { digits: 1500, spirals: 3000, wine: 3000 }, seeds: 8, retrainSeeds: 5 },
} as const;

interface SavedRun {
  readonly plan: { readonly tasks: readonly string[]; readonly epochs: Readonly<Record<string, number>>; readonly retrainSeeds: number };
  /** Per task, the population the default rule chose at this budget. */
  readonly auto: Readonly<Record<string, number>>;
  readonly rows: readonly MultiFidelityRow[];
}

/** A method's population on a task: the one it fixes, else the default rule's. */
const populationOf = (m: Method, task: string, auto: Readonly<Record<string, number>>) =>
  (m.strategyOptions?.population as number | undefined) ?? auto[task]!;

function toMarkdown({ plan, auto, rows }: SavedRun): string {
  const out = [
    `Each row: PBT with this population at the task's full budget (equal epochs), so a lineage trains about budget / population epochs. ` +
      `Score = median validation loss of the best lineage's schedule re-trained from scratch on ${plan.retrainSeeds} fresh seeds; ` +
      "p: Mann-Whitney U against the default rule's population, Holm-adjusted within each task. Seeds and code as the multi-fidelity section's cells.",
  ];
  for (const task of plan.tasks) {
    const of = (m: string) => rows.filter((r) => r.task === task && r.method === m);
    const base = of(AUTO.id).map((r) => r.score);
    const others = methods.slice(1).filter((m) => populationOf(m, task, auto) !== auto[task]);
    const p = holm(
      others.map(
        (m) =>
          mannWhitneyU(
            of(m.id).map((r) => r.score),
            base,
          ).p,
      ),
    );
    const body = [AUTO, ...others].map((m) => {
      const rs = of(m.id);
      const scores = rs.map((r) => r.score);
      const population = populationOf(m, task, auto);
      const i = others.indexOf(m);
      return [
        m.id === AUTO.id ? `default rule (${population})` : String(population),
        num(Math.floor(plan.epochs[task]! / population)),
        `${num(median(scores))} (${num(quantile(scores, 0.25))}-${num(quantile(scores, 0.75))})`,
        i < 0 ? '-' : pValue(p[i]!),
        num(median(rs.map((r) => r.finalModel ?? NaN))),
        String(rs.length),
      ];
    });
    out.push(
      `**${task}**, ${plan.epochs[task]} epochs per search\n\n` +
        table(['population', 'epochs per lineage', 'score: re-trained median (IQR)', 'p vs default (Holm)', 'final model', 'seeds'], body),
    );
  }
  return out.join('\n\n');
}

export const pbtPopulationSection: Section = {
  id: 'pbt-population',
  title: '6c. PBT: population against lineage length at equal epochs',
  async run({ quick, backend, log, progress }) {
    const planned = quick ? PLAN.quick : PLAN.full;
    const plan = { ...planned, tasks: tasksToRun(planned.tasks) };
    const counts = seedsToRun(plan.seeds, plan.tasks);
    const seeds = mostSeeds(counts);
    const auto: Record<string, number> = {};
    for (const name of plan.tasks) {
      const task = await resolveTask(name);
      auto[name] = autoPopulation(plan.epochs[name as keyof typeof plan.epochs], taskEpochs(task, task.space));
    }
    // The default rule's population needs no fixed row of its own: it would train the same trials again.
    const own = methods.filter((m) => m === AUTO || plan.tasks.some((t) => populationOf(m, t, auto) !== auto[t]));
    log(`pbt-population: ${plan.tasks.join(', ')} x populations ${FIXED.join(', ')} and the default rule x ${seeds} seeds`);
    const rows = await runMultiFidelity({
      ...plan,
      seeds: counts,
      firstSeed: firstSeed(seeds),
      methods: own,
      backend,
      log: (l) => log(`  ${l}`),
      ...(quick ? {} : cacheOptions(progress)),
    });
    const saved: SavedRun = { plan: { tasks: plan.tasks, epochs: plan.epochs, retrainSeeds: plan.retrainSeeds }, auto, rows };
    return { kind: 'ran', markdown: toMarkdown(saved), data: saved, charts: [] };
  },
  render: (data) => toMarkdown(data as SavedRun),
};
