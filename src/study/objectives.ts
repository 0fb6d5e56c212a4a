import { errors } from '../errors.js';
import type { Metrics, TrialOutcome } from '../eval/types.js';
import type { Params } from '../space/spec.js';
import { DEFAULT_STRATEGY, isStrategyName, STRATEGIES } from '../../strategies/index.js';
import type { Told } from '../../strategies/types.js';
import { nonDominated } from './pareto.js';
import { toldValue, type TellPruned } from './fidelity.js';

/**
 * What a search optimises: one or more metrics of a trial's outcome, each minimised or maximised, and constraints
 * on metrics. One place turns an outcome into what a strategy is told, what counts as best and the Pareto front.
 */

export const DIRECTIONS = ['minimize', 'maximize'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export interface Objective {
  /** "loss" is the value the fitness returned; any other name is one of its numeric metrics. */
  readonly name: string;
  readonly direction: Direction;
}

/** `metric <= bound` or `metric >= bound`; violated by how far the metric is beyond the bound. */
export interface Constraint {
  readonly metric: string;
  readonly op: '<=' | '>=';
  readonly bound: number;
}

export interface ObjectiveSpec {
  readonly objectives: readonly Objective[];
  readonly constraints: readonly Constraint[];
}

/** Minimise the fitness's value: what evotune did before objectives could be chosen. */
export const DEFAULT_OBJECTIVES: ObjectiveSpec = { objectives: [{ name: 'loss', direction: 'minimize' }], constraints: [] };

/** Minimise the loss, no constraints: the search behaves (and reports) exactly as without objectives. */
export const isPlain = (s: ObjectiveSpec) =>
  s.objectives.length === 1 && s.objectives[0]!.name === 'loss' && s.objectives[0]!.direction === 'minimize' && s.constraints.length === 0;

export const isMulti = (s: ObjectiveSpec) => s.objectives.length > 1;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Parses a constraint: a metric that must be <= 0 ("overshoot"), or a comparison of a metric with a number
 * ("size<=1e5", "accuracy >= 0.9", "1e5 >= size"). A strict < or > is read as <= or >= (a boundary has no volume).
 * Never evaluated as code: anything else is a usage error.
 */
export function parseConstraint(text: string): Constraint {
  const bad = () => errors.option('constraint', 'a metric name (must be <= 0) or METRIC<=NUMBER / METRIC>=NUMBER, e.g. "size<=1e5"', text);
  const t = text.trim();
  if (NAME.test(t)) return { metric: t, op: '<=', bound: 0 };
  const m = /^(.+?)\s*(<=|>=|<|>)\s*(.+)$/.exec(t);
  if (!m) throw bad();
  const [, left, rawOp, right] = m as unknown as [string, string, string, string];
  const op = rawOp.startsWith('<') ? '<=' : '>=';
  if (NAME.test(left.trim()) && NUMBER.test(right.trim())) return { metric: left.trim(), op, bound: Number(right) };
  if (NUMBER.test(left.trim()) && NAME.test(right.trim())) return { metric: right.trim(), op: op === '<=' ? '>=' : '<=', bound: Number(left) };
  throw bad();
}

export const constraintText = (c: Constraint) => `${c.metric}${c.op}${c.bound}`;

/** The options that choose objectives, as the option schema gives them. */
export interface ObjectiveOptions {
  readonly objective?: string;
  readonly direction?: Direction;
  readonly objectives?: readonly string[];
  readonly directions?: readonly Direction[];
  readonly constraint?: string | readonly string[];
}

/** Checks the objective options together; every mistake is a usage error naming the option. */
export function objectiveSpec(o: ObjectiveOptions): ObjectiveSpec {
  if (o.objective !== undefined && o.objectives !== undefined)
    throw errors.optionConflict('give either objective (one) or objectives (several), not both');
  if (o.objectives !== undefined && o.direction !== undefined)
    throw errors.optionConflict('with objectives, give directions (one per objective), not direction');
  if (o.objectives === undefined && o.directions !== undefined)
    throw errors.optionConflict('directions go with objectives; for one objective use direction');
  const names = o.objectives ?? [o.objective ?? 'loss'];
  for (const n of names)
    if (!NAME.test(n)) throw errors.option(o.objectives ? 'objectives' : 'objective', 'metric names (letters, digits, _ . -)', n);
  if (new Set(names).size < names.length) throw errors.option('objectives', 'distinct metric names', names.join(','));
  const directions = o.directions ?? names.map(() => o.direction ?? 'minimize');
  if (directions.length !== names.length) throw errors.option('directions', `${names.length} directions, one per objective`, directions.join(','));
  const texts = o.constraint === undefined ? [] : typeof o.constraint === 'string' ? [o.constraint] : o.constraint;
  return { objectives: names.map((name, i) => ({ name, direction: directions[i]! })), constraints: texts.map(parseConstraint) };
}

/** The objectives a run chose, from its options as config.json (and the journal's study line) keep them. */
export function configObjectives(config: Readonly<Record<string, unknown>>): ObjectiveSpec {
  const { objective, direction, objectives, directions, constraint } = config as ObjectiveOptions;
  return objectiveSpec({ objective, direction, objectives, directions, constraint });
}

/** The strategy that searches several objectives when none is named: the stronger of the two measured. */
export const DEFAULT_MULTI_STRATEGY = 'smsemoa';

const multiStrategies = () =>
  Object.values(STRATEGIES)
    .filter((s) => s.objectives === 'multi')
    .map((s) => s.name);

/**
 * The strategy of a search: the one named, else the default for its number of objectives. Several objectives with
 * a single-objective strategy, or objectives other than the loss with a scheduler (it prunes on the reported loss),
 * are usage errors.
 */
export function strategyFor(named: string | undefined, spec: ObjectiveSpec, scheduled: boolean): string {
  const name = named ?? (isMulti(spec) ? DEFAULT_MULTI_STRATEGY : DEFAULT_STRATEGY);
  const strategy = isStrategyName(name) ? STRATEGIES[name] : undefined;
  if (isMulti(spec) && strategy && strategy.objectives !== 'multi') {
    throw errors.option('strategy', `a multi-objective strategy for ${spec.objectives.length} objectives (${multiStrategies().join(', ')})`, name);
  }
  if (!isPlain(spec) && (scheduled || strategy?.continuesTraining)) {
    throw errors.optionConflict(
      `${scheduled ? 'a scheduler' : `strategy ${name}`} works on the reported loss, and this search optimises ${spec.objectives.map((o) => `${o.direction === 'maximize' ? 'max' : 'min'} ${o.name}`).join(', ')}${spec.constraints.length ? ' with constraints' : ''}`,
      'drop the scheduler, or optimise the loss',
    );
  }
  return name;
}

/** A metric of a finished trial: "loss" is its value; undefined when missing or not a finite number. */
function metricOf(o: { value: number; metrics: Metrics }, name: string): number | undefined {
  const v = name === 'loss' ? o.value : o.metrics[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'boolean' ? Number(v) : undefined;
}

/** A complete trial measured against the spec: objective values as returned, and the constraint violation. */
export interface Scored {
  readonly values: readonly number[];
  readonly violation: number;
}

/**
 * Scores a complete trial; undefined when one of its objectives is missing (the trial then counts as failed for
 * the search). A constraint metric that is missing counts as violated without bound.
 */
export function scoreOf(o: TrialOutcome, spec: ObjectiveSpec): Scored | undefined {
  if (o.state !== 'complete') return undefined;
  const values = spec.objectives.map((ob) => metricOf(o, ob.name));
  if (values.some((v) => v === undefined)) return undefined;
  const violation = spec.constraints.reduce((sum, c) => {
    const v = metricOf(o, c.metric);
    return sum + (v === undefined ? Infinity : Math.max(0, c.op === '<=' ? v - c.bound : c.bound - v));
  }, 0);
  return { values: values as number[], violation };
}

const minimised = (spec: ObjectiveSpec, values: readonly number[]) => values.map((v, i) => (spec.objectives[i]!.direction === 'maximize' ? -v : v));

/**
 * A single-objective strategy compares told values only, so feasibility-first ranking is a value: an infeasible
 * trial is told a number above any value a fitness returns (1e300) that grows with its violation.
 */
const infeasibleValue = (violation: number) => (Number.isFinite(violation) ? 1e300 * (1 + violation / (1 + violation)) : 2e300);

/**
 * What the strategy is told for a trial. With the default objective nothing changes (a pruned trial is told as
 * fidelity.ts says). Otherwise a pruned trial is told as a failure (its metrics are those of an unfinished
 * training), multi-objective strategies get every objective minimised and the violation, and single-objective
 * ones a value ranked feasibility-first.
 */
export function toldFor(o: TrialOutcome, spec: ObjectiveSpec, tellPruned: TellPruned, multi: boolean): Omit<Told, 'x'> {
  if (isPlain(spec)) return { value: toldValue(o, tellPruned) };
  const s = scoreOf(o, spec);
  if (!s) return multi ? { value: Infinity, values: spec.objectives.map(() => Infinity) } : { value: Infinity };
  const values = minimised(spec, s.values);
  if (multi) return { value: values[0]!, values, violation: s.violation };
  return { value: s.violation > 0 ? infeasibleValue(s.violation) : values[0]! };
}

/** The best trial on the first objective, feasibility first: what `best` reports and the target is checked on. */
export interface Candidate {
  readonly value: number;
  readonly trial: number;
  /** Present (> 0) when the trial breaks a constraint. */
  readonly violation?: number;
}

export function candidateOf(o: TrialOutcome, trial: number, spec: ObjectiveSpec): Candidate | undefined {
  const s = scoreOf(o, spec);
  if (!s) return undefined;
  return { value: s.values[0]!, trial, ...(s.violation > 0 ? { violation: s.violation } : {}) };
}

/** Less violation first, then the better first objective, then the earlier trial. */
export function improves(c: Candidate, best: Candidate | undefined, spec: ObjectiveSpec): boolean {
  if (best === undefined) return true;
  const cv = c.violation ?? 0;
  const bv = best.violation ?? 0;
  if (cv !== bv) return cv < bv;
  const [a, b] = spec.objectives[0]!.direction === 'maximize' ? [-c.value, -best.value] : [c.value, best.value];
  return a < b || (a === b && c.trial < best.trial);
}

/** The target is met by a feasible best at or beyond it in the objective's direction. */
export const reachesTarget = (best: Candidate, target: number, spec: ObjectiveSpec) =>
  (best.violation ?? 0) === 0 && (spec.objectives[0]!.direction === 'maximize' ? best.value >= target : best.value <= target);

/**
 * Throws a usage error when a complete trial lacks an objective no trial has returned so far: almost always a
 * misspelt name, and better said at once than after a whole search of failures.
 */
export function checkMetrics(o: TrialOutcome, spec: ObjectiveSpec, seen: Set<string>): void {
  if (o.state !== 'complete' || isPlain(spec)) return;
  const names = spec.objectives.map((ob) => ob.name);
  for (const n of names) if (metricOf(o, n) !== undefined) seen.add(n);
  const never = names.find((n) => !seen.has(n));
  if (never !== undefined) {
    const available = ['loss', ...Object.keys(o.metrics).filter((k) => metricOf(o, k) !== undefined)];
    throw errors.option(names.length > 1 ? 'objectives' : 'objective', `a numeric metric the fitness returns (${available.join(', ')})`, never);
  }
}

/** One member of the Pareto front a multi-objective search returns. */
export interface FrontMember {
  readonly trial: number;
  readonly params: Params;
  /** The objectives, by name, as the fitness returned them (not negated). */
  readonly values: Record<string, number>;
  readonly metrics: Metrics;
}

/**
 * The non-dominated set of the feasible complete trials (every objective in its direction), in trial order.
 * Trials with identical objective values are all kept.
 */
export function paretoFront(trials: readonly { number: number; params: Params; outcome: TrialOutcome }[], spec: ObjectiveSpec): FrontMember[] {
  const scored = trials.flatMap((t) => {
    const s = scoreOf(t.outcome, spec);
    return s && s.violation === 0 && t.outcome.state === 'complete' ? [{ t, s, metrics: t.outcome.metrics }] : [];
  });
  return nonDominated(scored.map(({ s }) => minimised(spec, s.values))).map((i) => {
    const { t, s, metrics } = scored[i]!;
    return { trial: t.number, params: t.params, values: Object.fromEntries(spec.objectives.map((ob, k) => [ob.name, s.values[k]!])), metrics };
  });
}

/**
 * Per trial, what a table of trials shows about the objectives: the constraint violation (0 when met) and, with
 * several objectives, whether the trial is on the Pareto front. Nothing for a plain search.
 */
export function objectiveColumns(
  spec: ObjectiveSpec,
  trials: readonly { number: number; params: Params; outcome: TrialOutcome }[],
): { columns: string[]; of: (trial: number) => Record<string, unknown> } {
  if (isPlain(spec)) return { columns: [], of: () => ({}) };
  const front = new Set(isMulti(spec) ? paretoFront(trials, spec).map((m) => m.trial) : []);
  const byNumber = new Map(trials.map((t) => [t.number, t.outcome]));
  const columns = [...(spec.constraints.length > 0 ? ['violation', 'feasible'] : []), ...(isMulti(spec) ? ['pareto'] : [])];
  return {
    columns,
    of: (trial) => {
      const o = byNumber.get(trial);
      const s = o ? scoreOf(o, spec) : undefined;
      return {
        ...(spec.constraints.length > 0 && s ? { violation: s.violation, feasible: s.violation === 0 } : {}),
        ...(isMulti(spec) ? { pareto: front.has(trial) } : {}),
      };
    },
  };
}
