"""Suppression of small counts in published tables (秘匿処理).

Primary suppression hides every count from 1 to ``threshold - 1``. Zero stays
visible, because it identifies no one.

Secondary suppression protects primary cells from recovery by subtraction. In
a group of cells published with their total, a reader can compute the sum of
the hidden cells as the total minus the visible ones. So whenever a group
with a visible total has hidden cells, more cells are hidden, smallest first,
until at least two are hidden and the hidden cells add up to at least the
threshold. A total that is itself a small count is hidden like any other cell.
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_THRESHOLD = 10


def is_small_count(value: int | None, threshold: int) -> bool:
    """Return whether a count must be hidden on its own: from 1 to ``threshold - 1``."""
    return value is not None and 0 < value < threshold


def suppress_group(
    members: Sequence[int], total: int | None, threshold: int
) -> tuple[set[int], bool]:
    """Choose which cells of one additive group to hide.

    ``members`` are the counts whose sum is ``total``; pass ``total=None`` for a
    group published without a total. Returns the indexes of hidden members and
    whether the total is hidden.

    Raises:
        ValueError: ``threshold`` is below 1, or ``total`` is not the sum of ``members``.
    """
    if threshold < 1:
        raise ValueError(f"suppression threshold must be at least 1, got {threshold}")
    if total is not None and total != sum(members):
        raise ValueError(f"total {total} is not the sum of the group's members {sum(members)}")

    hidden = {index for index, value in enumerate(members) if is_small_count(value, threshold)}
    if total is None:
        return hidden, False
    if is_small_count(total, threshold):
        return hidden, True
    if not hidden:
        return hidden, False

    # Hide the smallest visible cells until the hidden cells are at least two and
    # their sum, which the total reveals, is no longer a small count. Zero cells
    # count too, because a reader cannot tell which hidden cell contains the rest.
    # The loop always ends: a visible total is at least the threshold, so hiding
    # every member would satisfy both conditions, and a group with one member has
    # a small total whenever that member is small.
    candidates = sorted(
        (value, index) for index, value in enumerate(members) if index not in hidden
    )
    while len(hidden) < 2 or sum(members[index] for index in hidden) < threshold:
        _value, index = candidates.pop(0)
        hidden.add(index)
    return hidden, False
