"""DEAP 1.3's NSGA-III (Deb & Jain 2014) as in its examples/ga/nsga3.py: SBX (eta 30, every pair crossed) and
polynomial mutation (eta 20, 1/n per gene) of randomly paired parents (the paper's random mating; the example pairs
them in population order), selNSGA3 for survival on uniform reference points (Das-Dennis, the most divisions whose
count of points fits the population: 36 for 3 objectives at population 40). Prints, per problem and seed, the
non-dominated set of every evaluation, as JSON.    /usr/bin/python3 benchmarks/anchors/mo_deap_nsga3.py SPEC.json
"""
import random
from math import comb

from deap import algorithms, base, creator, tools

import mo_problems


def divisions(m, population):
    """The most divisions p whose C(m + p - 1, p) reference points fit the population."""
    p = 1
    while comb(m + p, p + 1) <= population:
        p += 1
    return p


def run(problem, seed, evals, pop_size):
    fn = mo_problems.make(problem)
    n, m = problem['variables'], problem['objectives']
    random.seed(seed)
    name = 'Fitness%d' % m
    if not hasattr(creator, name):
        creator.create(name, base.Fitness, weights=(-1.0,) * m)
        creator.create('Individual%d' % m, list, fitness=getattr(creator, name))
    individual = getattr(creator, 'Individual%d' % m)
    archive = mo_problems.Archive()

    def evaluate(ind):
        f = fn(list(ind))
        archive.add(f)
        return tuple(f)

    refs = tools.uniform_reference_points(m, divisions(m, pop_size))
    tb = base.Toolbox()
    tb.register('mate', tools.cxSimulatedBinaryBounded, low=0.0, up=1.0, eta=30.0)
    tb.register('mutate', tools.mutPolynomialBounded, low=0.0, up=1.0, eta=20.0, indpb=1.0 / n)
    pop = [individual(random.random() for _ in range(n)) for _ in range(pop_size)]
    for ind in pop:
        ind.fitness.values = evaluate(ind)
    used = pop_size
    while used < evals:
        offspring = algorithms.varAnd(random.sample(pop, len(pop)), tb, 1.0, 1.0)
        for ind in offspring:
            if used < evals and not ind.fitness.valid:
                ind.fitness.values = evaluate(ind)
                used += 1
        pop = tools.selNSGA3(pop + [o for o in offspring if o.fitness.valid], pop_size, refs)
    return archive.points


if __name__ == '__main__':
    mo_problems.main(run, 'deap-nsga3')
