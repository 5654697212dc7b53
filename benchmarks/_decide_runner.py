"""Run the Decide package's equal-gain exchange model on one input file and time it.

Runs in the benchmark's own environment (``benchmarks/.decide-venv``, where
``decide-exchange-model`` is installed from PyPI; it is never a dependency of
realpolitik) - ``bench_exchange.py`` calls it.  The package's own model loop
(``decide.model.utils.ModelLoop``) runs ``rounds`` rounds with no observer attached (no
output files), as its command line does.  Prints one JSON line: wall and CPU seconds
(model construction included, file parsing not), and the voting outcome of the last
round per issue on the issue's own scale.

Usage: ``python _decide_runner.py INPUT_FILE ROUNDS``
"""

from __future__ import annotations

import json
import sys
import tempfile
import time


def main() -> None:
    path, rounds = sys.argv[1], int(sys.argv[2])
    from decide.data.modelfactory import ModelFactory
    from decide.data.reader import InputDataFile
    from decide.model import equalgain
    from decide.model.observers.observer import Observable
    from decide.model.utils import ModelLoop

    data = InputDataFile.open(path)
    t, c = time.perf_counter(), time.process_time()
    model = ModelFactory(data)(model_klass=equalgain.EqualGainModel, randomized_value=None)
    with tempfile.TemporaryDirectory() as out:
        loop = ModelLoop(model, Observable(model_ref=model, output_directory=out), 0)
        for _ in range(rounds):
            loop.loop()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    outcome = {}
    for name, issue in model.issues.items():
        value = model.nbs.get(issue, model.nbs.get(name))
        outcome[str(issue.name if hasattr(issue, "name") else name)] = float(issue.de_normalize(value))
    import decide

    print(json.dumps({"wall": wall, "cpu": cpu, "outcome": outcome,
                      "version": getattr(decide, "__version__", None)}))  # fmt: skip


if __name__ == "__main__":
    main()
