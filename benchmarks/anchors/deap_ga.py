"""DEAP's eaSimple loop (varAnd, then tournament selection) with its bounded real-coded operators, on the problems of
a spec file, searching the box itself.

    python3 deap_ga.py SPECS.json --seeds 10 --checkpoints 500,1000,5000

Settings, as DEAP's examples use them for real-valued problems: 50 individuals drawn uniformly in the box,
cxSimulatedBinaryBounded (eta 20) with probability 0.9, mutPolynomialBounded (eta 20, each gene with probability
1/dim) on every child, selTournament of 3, no elitism (eaSimple has none; its hall of fame only records). The loop is
eaSimple's, counting evaluations so that the run stops at the budget exactly.
"""
import random
import sys

from problems import Tracker, emit, missing, parse_common

try:
    from deap import base, creator, tools, algorithms
except ImportError as e:
    missing('deap (python3-deap)', str(e))

POP, CXPB, MUTPB, ETA, TOURN = 50, 0.9, 1.0, 20.0, 3

creator.create('FitnessMin', base.Fitness, weights=(-1.0,))
creator.create('Individual', list, fitness=creator.FitnessMin)


def run(pr, seed, checkpoints):
    random.seed(seed)
    track = Tracker(pr, checkpoints)
    tb = base.Toolbox()
    tb.register('individual', tools.initIterate, creator.Individual, lambda: [random.uniform(pr.low, pr.high) for _ in range(pr.dim)])
    tb.register('mate', tools.cxSimulatedBinaryBounded, eta=ETA, low=pr.low, up=pr.high)
    tb.register('mutate', tools.mutPolynomialBounded, eta=ETA, low=pr.low, up=pr.high, indpb=1.0 / pr.dim)
    tb.register('select', tools.selTournament, tournsize=TOURN)
    pop = [tb.individual() for _ in range(POP)]
    for ind in pop:
        ind.fitness.values = (track(ind),)
    while not track.done:
        offspring = algorithms.varAnd(tb.select(pop, len(pop)), tb, CXPB, MUTPB)
        for ind in offspring:
            if not ind.fitness.valid:
                if track.done:
                    return track.result()
                ind.fitness.values = (track(ind),)
        pop[:] = offspring
    return track.result()


if __name__ == '__main__':
    problems, seeds, checkpoints = parse_common(sys.argv[1:], __doc__)
    emit([{'fn': pr.name, 'variant': pr.variant, 'dim': pr.dim, 'seed': s, 'bestAt': run(pr, s, checkpoints)}
          for pr in problems for s in range(seeds)])
