"""Optuna's NSGAIISampler (defaults, population 40), one float in [0, 1] per variable. Prints, per problem and
seed, the non-dominated set of every evaluation, as JSON.    /usr/bin/python3 benchmarks/anchors/mo_optuna_nsga2.py SPEC.json
"""
import optuna

import mo_problems

optuna.logging.set_verbosity(optuna.logging.WARNING)


def run(problem, seed, evals, pop_size):
    fn = mo_problems.make(problem)
    n, m = problem['variables'], problem['objectives']
    archive = mo_problems.Archive()

    def objective(trial):
        f = fn([trial.suggest_float('x%d' % i, 0.0, 1.0) for i in range(n)])
        archive.add(f)
        return tuple(f)

    sampler = optuna.samplers.NSGAIISampler(population_size=pop_size, seed=seed)
    study = optuna.create_study(directions=['minimize'] * m, sampler=sampler)
    study.optimize(objective, n_trials=evals)
    return archive.points


if __name__ == '__main__':
    mo_problems.main(run, 'optuna')
