"""SMP: KTAB's constants, the options in KTAB's words, and the resolved parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# ----------------------------------------------------------------- KTAB constants
MIN_COALITION = 1e-8  # Model::coalitions minC
MIN_CHALLENGE_COALITION = 1e-10  # SMPState::probEduChlg minCltn
MIN_SIG_EDU = 1e-5  # SMPState::bestChallenge minSigEDU
POS_TOL = 1e-3  # SMPModel::posTol
MIN_W = 1e-6  # SMPActor::interpBrgn* minW
BINARY_VOTE_TOL = 1e-8  # Model::vote sTol
MIN_ITER, MIN_DELTA_RATIO, MIN_SIG_DELTA = 2, 0.02, 1e-4  # smpStopFn
MARKOV_UNIFORM_TOL, MARKOV_INCENTIVE_TOL, MARKOV_MAX_ITER = 1e-6, 1e-8, 1000
#: elements of the largest temporary array of a block (bounds memory at any size); read at
#: call time as ``params.BLOCK_ELEMENTS`` so that a test can shrink it
BLOCK_ELEMENTS = 2**23
#: steps of at least this much work (draws x actors^2 or options^2; 32 draws of 10 actors)
#: run compiled (realpolitik.models.smp.kernels: the same numbers bit for bit); read at call
#: time, like BLOCK_ELEMENTS
KERNEL_ELEMENTS = 3200


def compiled(batch: int, n: int, fast: bool | None = None) -> bool:
    """Whether a step over ``batch`` draws and ``n`` actors (or options) runs compiled:
    ``fast`` if given (a caller's choice for a whole run: the numbers are the same either
    way), else by the step's work."""
    return batch * n * n >= KERNEL_ELEMENTS if fast is None else fast
#: draws per run_smp call in forecast_batch: about this many / n^3 (bounds the [B, n, n, n] work)
RUN_ELEMENTS = 2 * 10**7

VictoryProbModel = Literal["Linear", "Square", "Quartic", "Octic", "Binary"]
PCEModel = Literal["Conditional", "MarkovUniform", "MarkovIncentive"]
StateTransitions = Literal["Deterministic", "Stochastic"]
VotingRule = Literal["Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"]
BigRAdjust = Literal["None", "OneThird", "Half", "TwoThirds", "Full"]
BigRRange = Literal["Min", "Mid", "Max"]
ThirdPartyCommit = Literal["SemiCommit", "FullCommit", "NoCommit"]
InterVecBrgn = Literal["S2P2", "S1P1", "S2PMax"]
BargnModel = Literal["InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"]

KTAB_DEFAULTS: dict[str, str] = {
    "victory_prob_model": "Linear",
    "pce_model": "Conditional",
    "state_transitions": "Deterministic",
    "voting_rule": "Prop",
    "big_r_adjust": "OneThird",
    "big_r_range": "Mid",
    "third_party_commit": "SemiCommit",
    "inter_vec_brgn": "S2P2",
    "bargn_model": "InitOnlyInterp",
}
_ALIASES = {"Proportional": "Prop", "No": "None", "NoRA": "None"}


class SMPOptions(BaseModel):
    """Options in KTAB's words.  ``None`` = the scenario's ``extensions["ktab"]["parameters"]``
    (from a KTAB XML ``<ModelParameters>``) or else KTAB's default (in brackets)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    victory_prob_model: VictoryProbModel | None = Field(None, description="VictoryProbModel [Linear]")
    pce_model: PCEModel | None = Field(None, description="PCEModel [Conditional]")
    state_transitions: StateTransitions | None = Field(None, description="StateTransitions [Deterministic]")
    voting_rule: VotingRule | None = Field(None, description="VotingRule [Prop]")
    big_r_adjust: BigRAdjust | None = Field(None, description="BigRAdjust [OneThird]")
    big_r_range: BigRRange | None = Field(None, description="BigRRange [Mid]")
    third_party_commit: ThirdPartyCommit | None = Field(None, description="ThirdPartyCommit [SemiCommit]")
    inter_vec_brgn: InterVecBrgn | None = Field(None, description="InterVecBrgn [S2P2]")
    bargn_model: BargnModel | None = Field(None, description="BargnModel [InitOnlyInterp]")
    max_iter: int = Field(100, ge=2, le=10_000, description="last turn (smpStopFn maxIter) [100]")
    seed: int | None = Field(
        None, ge=0,
        description="seed of a single run given no seed of its own (the run's seed wins; Monte Carlo never uses it)",
    )
    salience_normalisation: Literal["mean", "per-actor"] = Field(
        "mean",
        description="when an actor's saliences sum above 100 (KTAB needs <= 100): divide all by the "
        "number of issues (mean) or scale the actors above 100 to 100 (per-actor)",
    )
    use_ideal_adjustment: bool = Field(
        True, description="use the scenario's KTAB IdealAdjustment (accommodation) matrix when present"
    )


@dataclass(frozen=True)
class Params:
    """Resolved KTAB parameters (strings as in KTAB) plus the stop rule."""

    victory_prob_model: str = "Linear"
    pce_model: str = "Conditional"
    state_transitions: str = "Deterministic"
    voting_rule: str = "Prop"
    big_r_adjust: str = "OneThird"
    big_r_range: str = "Mid"
    third_party_commit: str = "SemiCommit"
    inter_vec_brgn: str = "S2P2"
    bargn_model: str = "InitOnlyInterp"
    max_iter: int = 100

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
