"""Backtests: every model scored against what happened.

One module per kind of evidence, one module of shared scores:

* :mod:`~realpolitik.analysis.backtest.cases` - the case library shipped in the
  package (point and Monte Carlo forecasts of every model, leaderboard);
* :mod:`~realpolitik.analysis.backtest.deu` - the DEU III file (EU legislation), read
  into cases and scored like the library;
* :mod:`~realpolitik.analysis.backtest.wars` - war durations (MIC interstate wars);
* :mod:`~realpolitik.analysis.backtest.landmark` - the remaining duration of wars still
  running at given ages (landmarks), on the split of ``wars``;
* :mod:`~realpolitik.analysis.backtest.crises` - crisis outcomes (ICB, actor level);
* :mod:`~realpolitik.analysis.backtest.scoring` - splits, proper scores and the
  summaries every module uses.

The figures and the commands that print them are in docs/backtests.md.
"""
