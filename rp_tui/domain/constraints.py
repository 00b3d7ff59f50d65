"""Weight constraints: per-asset bounds and asset-class groups, with a feasibility check, and
the same constraints as linear rows ``G w ≥ h``, ``E w = e`` for the solvers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


class InfeasibleError(ValueError):
    """The constraints admit no fully invested, long-only portfolio; the message names them."""


@dataclass(frozen=True)
class Group:
    """Total weight of the assets in ``members`` (bool mask, ``(n_assets,)``) lies within
    ``[lower, upper]`` (fractions; equal for an exact target). ``name`` is the asset class."""

    name: str
    members: np.ndarray
    lower: float
    upper: float


@dataclass(frozen=True)
class LinearRows:
    """A polytope of weights as linear rows: ``G w ≥ h`` and ``E w = e``.

    Attributes:
        G, h: inequality rows ``(m, n_assets)`` and ``(m,)``.
        E, e: equality rows ``(p, n_assets)`` and ``(p,)``; the last is the budget ``1'w = 1``.
        labels: one per inequality row, e.g. ``"MTUM min 0.3"``, for messages.
        equality_labels: one per equality row, e.g. ``"group bonds = 0.4"``; the last is
            ``"fully invested"``.
    """

    G: np.ndarray
    h: np.ndarray
    E: np.ndarray
    e: np.ndarray
    labels: tuple[str, ...]
    equality_labels: tuple[str, ...]


@dataclass(frozen=True)
class Constraints:
    """Long-only, fully invested weights with bounds and groups.

    Attributes:
        lower, upper: per-asset bounds, ``(n_assets,)`` fractions, ``0 ≤ lower ≤ upper ≤ 1``.
        groups: asset-class constraints.
        names: asset symbols, for messages.
    """

    lower: np.ndarray
    upper: np.ndarray
    groups: tuple[Group, ...] = ()
    names: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def unbounded(cls, n: int, names: Sequence[str] = ()) -> Constraints:
        return cls(np.zeros(n), np.ones(n), (), tuple(names))

    @property
    def binding_possible(self) -> bool:
        """True when anything beyond ``0 ≤ w ≤ 1`` is asked for."""
        return bool(self.groups) or bool(np.any(self.lower > 0) or np.any(self.upper < 1))

    def rows(self) -> LinearRows:
        """The constraints as :class:`LinearRows` over fully invested weights.

        Every asset has a row ``w_i ≥ lower_i`` (long-only when 0); ``w_i ≤ upper_i`` only
        when ``upper_i < 1``; ``lower_i = upper_i`` is an equality. A group gives an equality
        when its range is one number, else a row for each side that can bind (``lower > 0``,
        ``upper < 1``). The last equality row is ``1'w = 1``.
        """
        n = len(self.lower)
        names = self.names or tuple(f"asset {i}" for i in range(n))
        eye = np.eye(n)
        g_rows, h, labels, e_rows, e, e_labels = [], [], [], [], [], []
        for i in range(n):
            lo, hi = float(self.lower[i]), float(self.upper[i])
            if lo == hi:
                e_rows.append(eye[i])
                e.append(lo)
                e_labels.append(f"{names[i]} = {lo:.4g}")
                continue
            g_rows.append(eye[i])
            h.append(lo)
            labels.append(f"{names[i]} min {lo:.4g}")
            if hi < 1.0:
                g_rows.append(-eye[i])
                h.append(-hi)
                labels.append(f"{names[i]} max {hi:.4g}")
        for g in self.groups:
            m = g.members.astype(float)
            if g.lower == g.upper:
                e_rows.append(m)
                e.append(float(g.lower))
                e_labels.append(f"group {g.name} = {g.lower:.4g}")
                continue
            if g.lower > 0.0:
                g_rows.append(m)
                h.append(float(g.lower))
                labels.append(f"group {g.name} min {g.lower:.4g}")
            if g.upper < 1.0:
                g_rows.append(-m)
                h.append(-float(g.upper))
                labels.append(f"group {g.name} max {g.upper:.4g}")
        e_rows.append(np.ones(n))
        e.append(1.0)
        e_labels.append("fully invested")
        return LinearRows(
            np.array(g_rows).reshape(-1, n),
            np.array(h, dtype=float),
            np.array(e_rows),
            np.array(e, dtype=float),
            tuple(labels),
            tuple(e_labels),
        )

    def satisfied(self, weights: np.ndarray, tol: float = 1e-9) -> bool:
        """Whether ``weights`` meet every bound and group to within ``tol``."""
        w = np.asarray(weights)
        ok = np.all(w >= self.lower - tol) and np.all(w <= self.upper + tol)
        for g in self.groups:
            total = w[g.members].sum()
            ok = ok and g.lower - tol <= total <= g.upper + tol
        return bool(ok and abs(w.sum() - 1.0) <= tol)

    def check_feasible(self) -> None:
        """Raise :class:`InfeasibleError` naming the conflicting constraints, if any.

        Bounds alone are checked in closed form (``Σ lower ≤ 1 ≤ Σ upper``), and groups that
        share no asset (asset classes) too; overlapping groups by a linear feasibility
        problem (``scipy.optimize.linprog``, HiGHS).
        """
        names = self.names or tuple(f"asset {i}" for i in range(len(self.lower)))
        for i in np.flatnonzero(self.lower > self.upper):
            raise InfeasibleError(
                f"{names[i]}: min {self.lower[i]:.4g} is above max {self.upper[i]:.4g}"
            )
        if self.lower.sum() > 1 + 1e-12:
            raise InfeasibleError(f"the assets' min weights add up to {self.lower.sum():.4g} > 1")
        if self.upper.sum() < 1 - 1e-12:
            raise InfeasibleError(f"the assets' max weights add up to {self.upper.sum():.4g} < 1")
        for g in self.groups:
            if g.lower > g.upper:
                raise InfeasibleError(f"group {g.name}: min {g.lower:.4g} above max {g.upper:.4g}")
            low, high = self.lower[g.members].sum(), self.upper[g.members].sum()
            if g.lower > high + 1e-12 or g.upper < low - 1e-12:
                members = ", ".join(n for n, m in zip(names, g.members, strict=True) if m)
                raise InfeasibleError(
                    f"group {g.name} ({members}) must hold {g.lower:.4g}..{g.upper:.4g}, but "
                    f"its assets' bounds allow {low:.4g}..{high:.4g}"
                )
        if self.groups:
            self._check_groups_jointly()

    def _check_groups_jointly(self) -> None:
        members = np.array([g.members for g in self.groups], dtype=bool)  # (groups, assets)
        if np.count_nonzero(members, axis=0).max() <= 1:  # asset classes: each asset in one
            feasible = self._disjoint_groups_feasible(members)
        else:
            feasible = self._groups_feasible_lp()
        if not feasible:
            listed = "; ".join(f"{g.name} {g.lower:.4g}..{g.upper:.4g}" for g in self.groups)
            raise InfeasibleError(
                f"the asset-class groups ({listed}) cannot all hold with the assets' min/max "
                "and weights summing to 1: loosen one of them"
            )

    def _disjoint_groups_feasible(self, members: np.ndarray) -> bool:
        """Closed form for groups that share no asset: each group's total can be anything in
        ``[max(its min, Σ lower), min(its max, Σ upper)]`` (non-empty: checked group by group
        before) independently of the others, and each ungrouped asset anything within its
        bounds, so weights summing to 1 exist iff 1 lies between the sums of those ends.
        No linear programme: ``scipy.optimize`` takes 0.3-0.4 s to import, paid by every
        portfolio with groups as it is opened (the TUI's start, each command)."""
        sums_lower, sums_upper = members @ self.lower, members @ self.upper
        low = np.maximum([g.lower for g in self.groups], sums_lower)
        high = np.minimum([g.upper for g in self.groups], sums_upper)
        free = ~members.any(axis=0)
        least = low.sum() + self.lower[free].sum()
        most = high.sum() + self.upper[free].sum()
        return bool(least <= 1 + 1e-12 and most >= 1 - 1e-12)

    def _groups_feasible_lp(self) -> bool:
        """Overlapping groups: a linear feasibility programme (HiGHS)."""
        from scipy.optimize import linprog

        n = len(self.lower)
        rows = [g.members.astype(float) for g in self.groups]
        a_ub = np.array([*rows, *(-r for r in rows)])
        b_ub = np.array([*(g.upper for g in self.groups), *(-g.lower for g in self.groups)])
        result = linprog(
            np.zeros(n),
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=np.ones((1, n)),
            b_eq=[1.0],
            bounds=list(zip(self.lower, self.upper, strict=True)),
            method="highs",
        )
        return result.status != 2
