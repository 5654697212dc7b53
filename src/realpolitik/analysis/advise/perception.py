"""Perception quadrants of the expected-utility model, from one actor's point of view.

Bueno de Mesquita's practice reads an actor's strategic situation off a plot of
two expected utilities for every other actor ``j`` (BDM 1994, 1997; Scholz et al.
2011, Fig. 6): ``a = E^i(U_ij)``, what ``i`` expects from challenging ``j``, and
``b = E^i(U_ji)``, what ``i`` believes ``j`` expects from challenging ``i``.  The
regions of the plane are the offers the model makes (docs/expected-utility.md):

=====================  ===========================  =====================================
region                 condition                     what the model does
=====================  ===========================  =====================================
conflict               a > 0, b > 0                  both would challenge: confrontation;
                                                     the side with the lower EU gives in
compel                 a > 0 > b, |b| > |a|          j gives in to i fully
compromise (upper)     a > 0 > b, |a| >= |b|         j moves toward i, by (35)
compromise (concede)   b > 0 > a, |b| > |a|          i moves toward j, by (36)
capitulate             b > 0 > a, |a| >= |b|         i gives in to j fully
stalemate              a < 0, b < 0                  neither challenges: status quo
agree                  same position (or a = b = 0)  nothing to bargain over
=====================  ===========================  =====================================

The compel and capitulate regions are Fig. 6's (the negative side with the larger
``|EU|`` moves fully); the reference preset ``scholz2011`` plays capitulation as a
compromise (``capitulation=false``, docs/expected-utility.md) - the region is shown
as Fig. 6 draws it either way.  Which of ``i``'s actual offers the model then picks
is the offer rule's business (section 6.2); the quadrants show the situation.

The expected utilities are those the model computes in its first round (after the
events of rounds 0 and 1), with its risk exponents: :meth:`ExpectedUtility.perceptions_batch`.

References
----------
[BDM1994] Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method.
In *European Community Decision Making*, Yale UP, ch. 4 (the perception plots).
[Scholz2011] Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno de Mesquita's
group decision model. *Journal of Theoretical Politics* 23(4), 510-531, Fig. 6.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

REGIONS = ("conflict", "compel", "compromise (upper hand)", "compromise (concede)", "capitulate", "stalemate", "agree")


def classify(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Region index (into :data:`REGIONS`) of each ``(a, b)`` pair, elementwise."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = np.full(a.shape, REGIONS.index("agree"), dtype=np.int8)
    out[(a > 0) & (b > 0)] = REGIONS.index("conflict")
    up = (a > 0) & (b < 0)
    out[up & (-b > a)] = REGIONS.index("compel")
    out[up & (-b <= a)] = REGIONS.index("compromise (upper hand)")
    down = (b > 0) & (a < 0)
    out[down & (b > -a)] = REGIONS.index("compromise (concede)")
    out[down & (b <= -a)] = REGIONS.index("capitulate")
    out[(a < 0) & (b < 0)] = REGIONS.index("stalemate")
    return out


@dataclass
class Dyad:
    """``actor``'s view of ``other`` on one issue."""

    issue: str
    other: str
    eu_challenge: float  # a = E^i(U_ij) at the point values
    eu_challenged: float  # b = E^i(U_ji)
    region: str  # at the point values
    shares: dict[str, float] = field(default_factory=dict)  # region -> share of draws

    def to_dict(self) -> dict[str, Any]:
        return {"issue": self.issue, "other": self.other, "eu_challenge": self.eu_challenge,
                "eu_challenged": self.eu_challenged, "region": self.region, "region_shares": self.shares}  # fmt: skip


def quadrants(model, actor: str, point_batch, draw_batch=None) -> list[Dyad]:
    """``actor``'s dyads on every issue it takes part in, at the point values and over draws.

    ``model`` is an :class:`~realpolitik.models.expected_utility.ExpectedUtility`;
    ``point_batch`` a one-draw batch of the point values, ``draw_batch`` (optional) the
    Monte Carlo draws, whose region shares are reported per dyad.
    """
    point = model.perceptions_batch(point_batch)
    draws = model.perceptions_batch(draw_batch) if draw_batch is not None else {}
    out: list[Dyad] = []
    for iid, p in point.items():
        if actor not in p["actors"]:
            continue
        i = p["actors"].index(actor)
        reg = classify(p["eu_challenge"][0, i], p["eu_challenged"][0, i])
        dr = draws.get(iid)
        for j, other in enumerate(p["actors"]):
            if j == i:
                continue
            shares: dict[str, float] = {}
            if dr is not None and actor in dr["actors"] and other in dr["actors"]:
                ii, jj = dr["actors"].index(actor), dr["actors"].index(other)
                r = classify(dr["eu_challenge"][:, ii, jj], dr["eu_challenged"][:, ii, jj])
                counts = np.bincount(r, minlength=len(REGIONS)) / max(1, r.size)
                shares = {REGIONS[k]: float(v) for k, v in enumerate(counts) if v > 0}
            out.append(Dyad(iid, other, float(p["eu_challenge"][0, i, j]), float(p["eu_challenged"][0, i, j]),
                            REGIONS[int(reg[j])], shares))  # fmt: skip
    return out
