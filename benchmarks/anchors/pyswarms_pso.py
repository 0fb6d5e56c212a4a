"""pyswarms' GlobalBestPSO on the problems of a spec file, searching the box itself.

    python3 pyswarms_pso.py SPECS.json --seeds 10 --checkpoints 500,1000,5000

Settings: 40 particles, Clerc's constriction coefficients (w 0.7298, c1 = c2 = 1.49618), the box as bounds,
bh_strategy 'reflective'. pyswarms' default boundary handling, 'periodic', wraps a particle that leaves the box to the
far side; in a one-seed probe it was worse on sphere, rastrigin and rosenbrock at 20 dimensions, and an anchor must
not be a straw man. pyswarms draws from numpy's global generator, seeded per run.
Evaluations are counted particle by particle, so the best at a budget ignores the rest of the last swarm step.
"""
import math
import sys

from problems import Tracker, emit, missing, parse_common

try:
    import numpy as np
    import pyswarms
except ImportError as e:
    missing('pyswarms (python3-pyswarms)', str(e))

PARTICLES = 40
OPTIONS = {'w': 0.7298, 'c1': 1.49618, 'c2': 1.49618}


def run(pr, seed, checkpoints):
    np.random.seed(seed)
    track = Tracker(pr, checkpoints)
    bounds = (np.full(pr.dim, pr.low), np.full(pr.dim, pr.high))
    opt = pyswarms.single.GlobalBestPSO(n_particles=PARTICLES, dimensions=pr.dim, options=OPTIONS, bounds=bounds,
                                         bh_strategy='reflective')
    opt.optimize(lambda xs: np.array([track(x) for x in xs]), iters=math.ceil(track.budget / PARTICLES), verbose=False)
    return track.result()


if __name__ == '__main__':
    import logging

    logging.disable(logging.CRITICAL)
    problems, seeds, checkpoints = parse_common(sys.argv[1:], __doc__)
    emit([{'fn': pr.name, 'variant': pr.variant, 'dim': pr.dim, 'seed': s, 'bestAt': run(pr, s, checkpoints)}
          for pr in problems for s in range(seeds)])
