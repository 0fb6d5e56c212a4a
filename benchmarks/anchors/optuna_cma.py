"""Optuna's CmaEsSampler (default settings, seeded) on the problems of a spec file, searching the box itself.

    python3 optuna_cma.py SPECS.json --seeds 10 --checkpoints 500,1000 [--direct]

Optuna's sampler re-reads every finished trial at every ask, so a 5000-trial study costs ~40 s of CPU at 20
dimensions. --direct drives the same `cmaes.CMA` object that CmaEsSampler builds (mean at the centre of the box,
sigma0 = range / 6, the box as bounds, n_max_resampling = 10 dim, default population, no restarts, one random
start-up trial) with a plain ask/tell loop: the same algorithm without the study around it. The section runs both
where both fit, so the table shows whether they agree.
"""
import math
import os
import sys
import warnings

from problems import Tracker, emit, missing, parse_common

try:
    import numpy as np
    import cmaes
except ImportError as e:
    missing('cmaes (python3-cmaes)', str(e))


def optuna_run(pr, seed, checkpoints):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings('ignore')
    track = Tracker(pr, checkpoints)
    names = [f'x{i}' for i in range(pr.dim)]
    dists = {n: optuna.distributions.FloatDistribution(pr.low, pr.high) for n in names}
    study = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=seed))
    while not track.done:
        trial = study.ask(dists)
        study.tell(trial, track(np.array([trial.params[n] for n in names])))
    return track.result()


def direct_run(pr, seed, checkpoints):
    rng = np.random.RandomState(seed)
    low = np.full(pr.dim, pr.low)
    high = np.full(pr.dim, pr.high)
    track = Tracker(pr, checkpoints)
    track(low + (high - low) * rng.rand(pr.dim))  # CmaEsSampler's one independent start-up trial
    cma = cmaes.CMA(mean=(low + high) / 2, sigma=(pr.high - pr.low) / 6, bounds=np.stack([low, high], axis=1),
                    seed=rng.randint(1, 2**31 - 2), n_max_resampling=10 * pr.dim)
    while not track.done:
        told = []
        for _ in range(cma.population_size):
            x = cma.ask()
            told.append((x, track(x)))
            if track.done:
                return track.result()
        cma.tell(told)
    return track.result()


if __name__ == '__main__':
    direct = '--direct' in sys.argv
    problems, seeds, checkpoints = parse_common([a for a in sys.argv[1:] if a != '--direct'], __doc__)
    if not direct:
        try:
            import optuna  # noqa: F401
        except ImportError as e:
            missing('optuna (python3-optuna)', str(e))
    run = direct_run if direct else optuna_run
    emit([{'fn': pr.name, 'variant': pr.variant, 'dim': pr.dim, 'seed': s, 'bestAt': run(pr, s, checkpoints)}
          for pr in problems for s in range(seeds)])
