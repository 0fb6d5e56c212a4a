"""The multi-objective test problems of benchmarks/multi-objective.ts, for the Python anchors (same definitions).

A spec file (written by the TypeScript side) names each problem, its variables, objectives and, for a rotated
problem, the rotation matrix, so both sides evaluate exactly the same functions.
    /usr/bin/python3 benchmarks/anchors/mo_problems.py SPEC.json --check POINTS.json   (prints each problem's values
    at its points, for test/bench-multi-objective.test.ts)
"""
import json
import math
import sys


def zdt1(x):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return [x[0], g * (1 - math.sqrt(x[0] / g))]


def zdt2(x):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return [x[0], g * (1 - (x[0] / g) ** 2)]


def zdt3(x):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    h = 1 - math.sqrt(x[0] / g) - (x[0] / g) * math.sin(10 * math.pi * x[0])
    return [x[0], g * h]


def dtlz2(x, m):
    g = sum((v - 0.5) ** 2 for v in x[m - 1:])
    f = []
    for i in range(m):
        v = 1 + g
        for j in range(m - 1 - i):
            v *= math.cos(x[j] * math.pi / 2)
        if i > 0:
            v *= math.sin(x[m - 1 - i] * math.pi / 2)
        f.append(v)
    return f


def rotate_tail(x, m, rotation):
    """The distance variables x[m-1:] turned about their optimum 0.5 and clamped into [0, 1]."""
    tail = [v - 0.5 for v in x[m - 1:]]
    turned = [min(1.0, max(0.0, 0.5 + sum(r * t for r, t in zip(row, tail)))) for row in rotation]
    return list(x[:m - 1]) + turned


def make(problem):
    kind = problem['kind']
    m = problem['objectives']
    if kind == 'zdt1':
        return zdt1
    if kind == 'zdt2':
        return zdt2
    if kind == 'zdt3':
        return zdt3
    if kind == 'dtlz2':
        rotation = problem.get('rotation')
        if rotation:
            return lambda x: dtlz2(rotate_tail(x, m, rotation), m)
        return lambda x: dtlz2(x, m)
    raise ValueError('unknown problem kind ' + kind)


def dominates(a, b):
    return all(p <= q for p, q in zip(a, b)) and any(p < q for p, q in zip(a, b))


class Archive:
    """The non-dominated set of every evaluation so far (what a user of any of the tools can keep)."""

    def __init__(self):
        self.points = []

    def add(self, f):
        if any(dominates(p, f) or p == f for p in self.points):
            return
        self.points = [p for p in self.points if not dominates(f, p)] + [list(f)]


def load_spec(path):
    with open(path) as fh:
        return json.load(fh)


def main(run, label):
    """Runs `run(problem, seed, evaluations, population)` on every problem and seed of the spec file argv[1] and
    prints {problem name: [non-dominated set per seed]} as JSON."""
    spec = load_spec(sys.argv[1])
    out = {}
    for problem in spec['problems']:
        out[problem['name']] = [run(problem, seed, spec['evaluations'], spec['population']) for seed in range(spec['seeds'])]
        print('%s %s done' % (label, problem['name']), file=sys.stderr)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    if len(sys.argv) != 4 or sys.argv[2] != '--check':
        sys.exit('usage: mo_problems.py SPEC.json --check POINTS.json')
    with open(sys.argv[3]) as fh:
        points = json.load(fh)
    problems = load_spec(sys.argv[1])['problems']
    json.dump([[make(p)(x) for x in xs] for p, xs in zip(problems, points)], sys.stdout)
