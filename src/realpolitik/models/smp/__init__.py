"""KTAB's spatial model of politics (SMP): multi-dimensional bargaining over positions.

A re-implementation of the SMP of KTAB (KAPSARC Toolkit for Behavioral Analysis,
``KAPSARC/KTAB``, MIT licence; ``examples/smp/libsrc/smp*.cpp`` and
``KTAB/kmodel/libsrc/kmodel.cpp``) that reproduces ``smpc``'s runs - every position of
every state and every reported winning probability - and runs vectorised over actors,
dyads and a leading batch (draw) axis.

One turn (``SMPState::stepBCN`` / ``doBCN``)
--------------------------------------------
1. Distances ``d_i(p) = sqrt(sum_k (s_ik (I_ik - p_k))^2 / sum_k s_ik^2)`` from every
   ideal to every position (``SMPModel::bvDiff``); utility ``u(d, R) = (1-d)(1+dR)``
   (``bsUtil``).
2. Risk attitudes from a probabilistic Condorcet election (PCE) over the positions with
   risk-neutral utilities ``1-d`` and weights ``c`` (``setAllAUtil``; ``BigRRange``),
   and h's estimate ``r_hi`` of i's attitude (``BigRAdjust``).
3. Every actor i evaluates a challenge of every j from its own perspective
   (``probEduChlg(i, i, i, j)``): principal votes ``W (U[i,i]-U[i,j])`` and
   ``W (U[j,i]-U[j,j])`` with ``W = S c``, third parties voting on the "little contest"
   (``vProbLittle``, ``thirdPartyVoteSU``, ``ThirdPartyCommit``), ``phi = chi_ij /
   (chi_ij + chi_ji)``, and the expected gain against the status quo, where a target with
   total salience ``S_j`` contests with probability ``S_j``.  Best target: the largest
   gain above 1e-5, lowest index on ties (``bestChallenge``).
4. A bargain interpolated between the two positions (``interpolateBrgn``;
   ``InterVecBrgn`` S2P2 by default: weights ``s^2 p^2``, rounded to 1e-4) goes into both
   actors' queues (``BargnModel``).
5. Each actor picks from its queue (status quo and the bargains it is party to) by a PCE
   over the expected utility of the state each bargain would produce, deterministically
   (argmax) or stochastically (``StateTransitions``).
6. Ideals follow positions through the accommodation matrix (``IdealAdjustment``).

The run stops after turn ``t >= 2`` when the change in positions falls below 2% of the
first turn's change, or at ``max_iter`` (``smpStopFn``).  Reported winning
probabilities (``SMPState::pDist(-1)``) are a PCE over the unique positions of a state.

Vectorisation: the challenge evaluation is an ``[batch, third party, initiator,
target]`` array (chunked over initiators to bound memory); sums over third parties run
in actor order so that identical actors tie exactly, as in KTAB.

References
----------
[KTAB] KAPSARC (2015-2019). *KTAB, the KAPSARC Toolkit for Behavioral Analysis*: SMP documentation
(``examples/smp/doc``, including the 2017 reference logs) and source (``smp.cpp``,
``smpbcn.cpp``, ``kmodel.cpp``), MIT licence.
[Efird2016] Efird, B., Lester, S., & Wise, B. (2016). *Journal of East Asian Studies* 16, 117-145,
Tables 2-3 (the China SOE reform scenarios that ship with KTAB).
[KTAB] *Markov voting with incentives in KTAB* (``KTAB/kmodel/doc/markov-incentives.tex``; the
MarkovIncentive PCE).
Reproduction notes: ``tests/data/anchors/ktab/ALGORITHM.md`` sections 1.1-1.8 and 7.

Modules
-------
* :mod:`.params` - KTAB's constants, the options (in KTAB's words) and resolved parameters;
* :mod:`.primitives` - utilities, votes, coalitions, victory probabilities, the PCE, bargains;
* :mod:`.state` - one state's set-up, the challenges, one turn, reported probabilities;
* :mod:`.driver` - the turns of a batch of runs (:func:`run_smp`), events, the stop rule;
* :mod:`.model` - the registered model (scenario in, :class:`~realpolitik.models.base.Result` out).
"""
from realpolitik.models.smp.driver import SMPRun, normalise_saliences, run_smp
from realpolitik.models.smp.model import SMP
from realpolitik.models.smp.params import KTAB_DEFAULTS, POS_TOL, Params, SMPOptions
from realpolitik.models.smp.primitives import (
    big_r_from_prob,
    bs_util,
    bv_diff,
    coalitions,
    est_nra,
    interpolate,
    orient,
    pce,
    round4,
    victory_prob,
    vote,
)
from realpolitik.models.smp.state import (
    StateSetup,
    TurnRecord,
    challenges,
    new_ideals,
    prob_edu,
    reported_probabilities,
    setup_state,
    turn,
    unique_representatives,
)

__all__ = [
    "KTAB_DEFAULTS",
    "POS_TOL",
    "SMP",
    "Params",
    "SMPOptions",
    "SMPRun",
    "StateSetup",
    "TurnRecord",
    "big_r_from_prob",
    "bs_util",
    "bv_diff",
    "challenges",
    "coalitions",
    "est_nra",
    "interpolate",
    "new_ideals",
    "normalise_saliences",
    "orient",
    "pce",
    "prob_edu",
    "reported_probabilities",
    "round4",
    "run_smp",
    "setup_state",
    "turn",
    "unique_representatives",
    "victory_prob",
    "vote",
]
