/**
 * A strategy driven by hand, as the study drives it: one setup (validated options and the problem's facts) for the
 * whole run, the state threaded through ask and tell, a fresh generator per call. Used by test/strategies/*.test.ts.
 */
import { isEvotuneError } from '../../src/errors.js';
import { rngFor, type Rng } from '../../src/util/rng.js';
import { resolveStrategy } from '../../strategies/index.js';
import type { Setup, Strategy, Told } from '../../strategies/types.js';

export interface Session {
  readonly strategy: Strategy;
  readonly setup: Setup<Record<string, unknown>>;
  state: unknown;
  round: number;
}

export interface SessionExtras extends Omit<Setup<unknown>, 'dim' | 'options'> {
  readonly initialPoints?: readonly (readonly number[])[];
  readonly rng?: Rng;
}

/** Validates `raw` options as a search does, then inits the strategy. */
export function session(strategy: Strategy, dim: number, raw: unknown = {}, extras: SessionExtras = {}): Session {
  const { initialPoints, rng = rngFor(1, 'init'), ...facts } = extras;
  const setup = { dim, options: resolveStrategy(strategy.name, raw).options, ...facts };
  return { strategy, setup, state: strategy.init({ ...setup, rng, ...(initialPoints ? { initialPoints } : {}) }), round: 0 };
}

export function ask(s: Session, rng: Rng = rngFor(1, 'ask', s.round)): number[][] {
  const asked = s.strategy.ask(s.state, rng, s.setup);
  s.state = asked.state;
  return asked.xs;
}

export function tell(s: Session, told: readonly Told[], rng: Rng = rngFor(1, 'tell', s.round)): void {
  s.state = s.strategy.tell(s.state, told, rng, s.setup);
  s.round++;
}

/** A point's result: its value, or (several objectives) the values and a constraint violation. */
export type Scorer = (x: readonly number[]) => number | Omit<Told, 'x'>;

/** Asks and tells until `ask` comes back empty or `rounds` is reached; returns every point asked, batch by batch. */
export function batches(s: Session, objective: Scorer, rounds = 1000): number[][][] {
  const out: number[][][] = [];
  for (let r = 0; r < rounds; r++) {
    const xs = ask(s);
    if (xs.length === 0) break;
    out.push(xs);
    tell(
      s,
      xs.map((x) => {
        const r = objective(x);
        return typeof r === 'number' ? { x, value: r } : { x, ...r };
      }),
    );
  }
  return out;
}

/** Every point asked until the strategy stops or `rounds` is reached. */
export const drain = (s: Session, objective: Scorer, rounds = 1000): number[][] => batches(s, objective, rounds).flat();

export const noRandomness: Rng = () => {
  throw new Error('the rng was used');
};

/** The message of the usage error `fn` throws for strategy option `option` (fails the test when it throws anything else). */
export function optionError(fn: () => unknown, option: string): string {
  try {
    fn();
  } catch (e) {
    if (isEvotuneError(e) && e.code === 'E_STRATEGY_OPTION' && e.message.includes(`"${option}"`)) return e.message;
    throw e;
  }
  throw new Error(`no error for option "${option}"`);
}
