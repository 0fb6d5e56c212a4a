"""The test problems of src/bench/functions.ts and src/bench/problems.ts, rebuilt in Python from their specs.

Every anchor script reads the same JSON file of problem specs (written by the section that calls it), so the
anchors and evotune's strategies minimise exactly the same functions: g(x) = f(R (x - shift) + optimum).
A test (test/bench-functions.test.ts) checks that both languages give the same values.

    python3 problems.py SPECS.json --check POINTS.json   # prints f at each point of each problem, as JSON
"""
import json
import math
import sys

import numpy as np

SCHWEFEL_PEAK = 418.9828872724338


def sphere(z):
    return float(np.sum(z * z))


def ellipsoid(z):
    d = len(z)
    scales = 10.0 ** (6.0 * np.arange(d) / max(1, d - 1))
    return float(np.sum(scales * z * z))


def rastrigin(z):
    return float(10 * len(z) + np.sum(z * z - 10 * np.cos(2 * math.pi * z)))


def rosenbrock(z):
    return float(np.sum(100 * (z[1:] - z[:-1] ** 2) ** 2 + (1 - z[:-1]) ** 2))


def ackley(z):
    d = len(z)
    return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(z * z) / d)) - math.exp(np.sum(np.cos(2 * math.pi * z)) / d) + 20 + math.e)


def griewank(z):
    return float(1 + np.sum(z * z) / 4000 - np.prod(np.cos(z / np.sqrt(np.arange(1, len(z) + 1)))))


def levy(z):
    w = 1 + (z - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def schwefel(z):
    d = len(z)
    inside = np.abs(z) <= 500
    folded = 500 - np.mod(np.abs(z), 500)
    outside = np.sign(z) * folded * np.sin(np.sqrt(folded)) - (np.abs(z) - 500) ** 2 / (10000 * d)
    terms = np.where(inside, z * np.sin(np.sqrt(np.abs(z))), outside)
    return float(SCHWEFEL_PEAK * d - np.sum(terms))


BASE = {f.__name__: f for f in (sphere, ellipsoid, rastrigin, rosenbrock, ackley, griewank, levy, schwefel)}


class Problem:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec['fn']
        self.variant = spec['variant']
        self.dim = spec['dim']
        self.low = spec['low']
        self.high = spec['high']
        self.shift = np.array(spec['shift'], dtype=float)
        self.rotation = np.array(spec['rotation'], dtype=float)
        self.optimum = spec['optimum']
        self.base = BASE[self.name]

    def __call__(self, x):
        return self.base(self.rotation @ (np.asarray(x, dtype=float) - self.shift) + self.optimum)


def load(path):
    with open(path) as f:
        return [Problem(s) for s in json.load(f)]


class Tracker:
    """Counts evaluations and records the best value so far at each checkpoint; refuses evaluations past the budget."""

    def __init__(self, f, checkpoints):
        self.f = f
        self.checkpoints = sorted(checkpoints)
        self.budget = self.checkpoints[-1]
        self.n = 0
        self.best = math.inf
        self.best_at = {}

    @property
    def done(self):
        return self.n >= self.budget

    def __call__(self, x):
        y = self.f(x)
        if self.n < self.budget:
            self.n += 1
            self.best = min(self.best, y)
            if self.n in self.checkpoints:
                self.best_at[self.n] = self.best
        return y

    def result(self):
        return [self.best_at.get(c, self.best) for c in self.checkpoints]


def parse_common(argv, description):
    """SPECS.json --seeds N --checkpoints 500,1000,5000 (the largest is the budget)."""
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument('specs')
    p.add_argument('--seeds', type=int, default=10)
    p.add_argument('--checkpoints', default='500,1000,5000')
    a = p.parse_args(argv)
    return load(a.specs), a.seeds, sorted(int(c) for c in a.checkpoints.split(','))


def emit(rows):
    json.dump(rows, sys.stdout)
    sys.stdout.write('\n')


def missing(package, why):
    """Exit 3 with the reason on stderr: the section reports the anchor as skipped rather than failing."""
    sys.stderr.write(f'missing: {package} is not installed ({why})\n')
    sys.exit(3)


if __name__ == '__main__':
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument('specs')
    p.add_argument('--check', required=True)
    a = p.parse_args()
    with open(a.check) as f:
        points = json.load(f)
    emit([[pr(x) for x in points[i]] for i, pr in enumerate(load(a.specs))])
