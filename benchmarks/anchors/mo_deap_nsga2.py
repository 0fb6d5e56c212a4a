"""DEAP 1.3's NSGA-II as in its examples/ga/nsga2.py: SBX (eta 20) and polynomial mutation (eta 20, 1/n per gene),
selTournamentDCD for mating, selNSGA2 for survival. Prints, per problem and seed, the non-dominated set of every
evaluation, as JSON.    /usr/bin/python3 benchmarks/anchors/mo_deap_nsga2.py SPEC.json
"""
import random

from deap import base, creator, tools

import mo_problems


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

    tb = base.Toolbox()
    tb.register('mate', tools.cxSimulatedBinaryBounded, low=0.0, up=1.0, eta=20.0)
    tb.register('mutate', tools.mutPolynomialBounded, low=0.0, up=1.0, eta=20.0, indpb=1.0 / n)
    pop = [individual(random.random() for _ in range(n)) for _ in range(pop_size)]
    for ind in pop:
        ind.fitness.values = evaluate(ind)
    used = pop_size
    pop = tools.selNSGA2(pop, pop_size)  # assigns the crowding distance selTournamentDCD reads
    while used < evals:
        offspring = [tb.clone(ind) for ind in tools.selTournamentDCD(pop, len(pop))]
        for a, b in zip(offspring[::2], offspring[1::2]):
            if random.random() <= 0.9:
                tb.mate(a, b)
            tb.mutate(a)
            tb.mutate(b)
            del a.fitness.values, b.fitness.values
        for ind in offspring:
            if used < evals:
                ind.fitness.values = evaluate(ind)
                used += 1
        pop = tools.selNSGA2(pop + [o for o in offspring if o.fitness.valid], pop_size)
    return archive.points


if __name__ == '__main__':
    mo_problems.main(run, 'deap')
