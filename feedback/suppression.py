"""Small-cell suppression: the one gate every published aggregate passes through.

Dashboards, public pages, exports, the API and the reports never print a count, mean or share
straight from the database: they pass it through this module and render what comes back.

The rules (thresholds in settings, read at call time):

- Primary: a number about fewer than SUPPRESSION_MIN_N respondents is hidden ("te weinig
  reacties"). That holds for totals too.
- Secondary: a hidden number must not be computable from what is shown. A table with its row,
  column and grand totals is a set of sums; hiding one cell of a row while showing the row total
  and the other cells gives it away by subtraction. So more cells are hidden (complements) until
  every hidden number can take at least two values that are consistent with everything shown
  (see "The audit" below). Complements are the smallest cells that close the gap; totals are
  only hidden when no set of inner cells can do it.
- Percentages: only when the number they are taken of is at least SUPPRESSION_MIN_N_PERCENT.
  A share in a table is a hidden number too, so hiding it gets the same secondary suppression.
- Public pages: shown counts are rounded to a multiple of PUBLIC_COUNT_ROUNDING. Rounding is
  not suppression: a rounded 5 can still be 3 people, and sums of rounded cells can be compared
  with rounded totals. It is applied after suppression, on top of it. Totals are rounded on
  their own (not summed from rounded cells), so they may differ a little from the sum shown.
  Percentages are taken from the exact counts.

The audit. Write the table with its margins as an (R+1) x (C+1) grid and flip the sign of the
row and column totals: then every row and every column of the grid sums to zero. Take the rows
and columns of that grid as the two sides of a bipartite graph and every hidden number as an
edge between its row and its column. What a reader knows is: the shown numbers, that every row
and column sums to zero, and that counts are whole numbers of at least 0. A hidden number can be
changed, with all of that still true, exactly when it lies on a cycle of hidden numbers along
which one unit can be moved: up, down, up, down, ... around the cycle (the "rectangle" move of
a 2 x 2 block, generalised), without any count going below 0. Direction matters: a count of 0
can only go up. So the audit is a reachability search in a directed graph with, for every
hidden number, an arc for each direction in which it can move by one. If no such cycle exists,
no other whole-number table fits what is shown (any difference between two fitting tables
splits into such cycles), so the number is known; this is the standard audit for 2-D tables.
A one-way table (cells and a total) is the same graph with two nodes and parallel edges.
The complements are chosen with a shortest path (Dijkstra) over the same graph, where a hidden
number costs nothing, an inner cell costs its count plus one, and a total costs more than all
inner cells together.

What this does not do: it protects each table on its own. Two tables that share cells (the same
split for two periods, or nested filters) can together give away more; publishing paths should
offer fixed splits and periods, not free combinations. It protects against exact recovery, not
against narrow ranges: a reader may learn that a hidden cell is 3 or 4.

How report.py could use it: consultations.report.youth_count/youth_total are a one-way table
of young people's counts with a total. `suppress_breakdown(counts)` gives the same "hidden below
10" per round and, instead of "minstens ..." for the total, hides the smallest other round so
that the exact total can stay.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, NamedTuple

from django.conf import settings
from django.utils.formats import number_format

# Why a number is hidden. Publishing paths show all of them as "te weinig reacties": telling a
# reader which ones are small and which ones hide a neighbour would narrow their ranges.
SHOWN = ""
SMALL = "small"
COMPLEMENT = "complement"
FEW_FOR_PERCENT = "few_for_percent"

Kind = Literal["count", "mean", "share"]


def min_n() -> int:
    """The smallest number of respondents behind a shown number."""
    return settings.SUPPRESSION_MIN_N


def min_n_percent() -> int:
    """The smallest number a shown percentage is taken of."""
    return settings.SUPPRESSION_MIN_N_PERCENT


def round_public(count: int) -> int:
    """A count as public pages show it: to the nearest multiple of PUBLIC_COUNT_ROUNDING."""
    step = settings.PUBLIC_COUNT_ROUNDING
    if step <= 1:
        return count
    return (count + step // 2) // step * step


def one_decimal(x: float) -> str:
    """A mean with one decimal, rounded half up ("7,4" in Dutch, "7.4" in English).

    number_format(x, decimal_pos=1) alone cuts off the other decimals: 7.08 would read "7,0".
    """
    rounded = Decimal(str(x)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=1)


def _percent(part: float, whole: int) -> int:
    # Half up (55.5 -> 56), as readers expect; round() would round half to even.
    return math.floor(100 * part / whole + 0.5)


@dataclass(frozen=True)
class Cell:
    """One published number: a count, a mean or a share, with the respondents behind it.

    A hidden cell keeps no trace of its numbers (value, n and percent are None), so no template,
    export or API serializer can leak them by accident. `n` and a count's `value` are rounded on
    public tables. `reason` is for code and tests; readers see "te weinig reacties" for all.
    """

    value: int | float | None
    n: int | None
    shown: bool
    reason: str = SHOWN
    percent: int | None = None
    kind: Kind = "count"


def figure(value: float | None, n: int, *, share: bool = False, public: bool = False) -> Cell:
    """A single mean (share=False) or share between 0 and 1 (share=True) about n respondents.

    Only for a figure that stands alone (an overall indicator); figures that split a total go
    through figure_table, or their hidden parts could be worked out from the total.
    """
    if n < 0:
        raise ValueError("n cannot be negative.")
    if n < min_n():
        return Cell(None, None, False, SMALL, kind="share" if share else "mean")
    shown_n = round_public(n) if public else n
    if share:
        if n < min_n_percent() or value is None:
            return Cell(None, shown_n, False, FEW_FOR_PERCENT, kind="share")
        return Cell(value, shown_n, True, percent=_percent(value, 1), kind="share")
    if value is None:
        return Cell(None, shown_n, False, SMALL, kind="mean")
    return Cell(value, shown_n, True, kind="mean")


# The graph behind the audit and the choice of complements.


class _Entry(NamedTuple):
    """A number of the table as an edge between row node u and column node v.

    `sign` is +1 when the edge carries the count itself, -1 when it carries minus the count
    (row and column totals), so that the numbers around every node sum to zero.
    """

    u: int
    v: int
    sign: int
    count: int
    margin: bool


def _moves(entry: _Entry) -> list[tuple[int, int]]:
    """The arcs along which a unit can pass this edge without its count going below 0."""
    arcs = []
    # Passing u -> v adds one to the edge's value, so sign * 1 to the count; v -> u the opposite.
    if entry.sign > 0 or entry.count >= 1:
        arcs.append((entry.u, entry.v))
    if entry.sign < 0 or entry.count >= 1:
        arcs.append((entry.v, entry.u))
    return arcs


def _reachable(entries: Sequence[_Entry], hidden: set[int], skip: int, start: int, goal: int):
    adjacent: dict[int, list[int]] = {}
    for index in hidden:
        if index != skip:
            for a, b in _moves(entries[index]):
                adjacent.setdefault(a, []).append(b)
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in adjacent.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _can_change(entries: Sequence[_Entry], hidden: set[int], index: int) -> bool:
    """Whether hidden number `index` can take another value consistent with all shown ones."""
    return any(_reachable(entries, hidden, index, b, a) for a, b in _moves(entries[index]))


def _cheapest_cycle(entries: Sequence[_Entry], hidden: set[int], index: int) -> set[int]:
    """The cheapest set of shown numbers whose hiding puts `index` on a movable cycle."""
    inner_total = sum(e.count + 1 for e in entries if not e.margin)

    def cost(i: int) -> int:
        if i in hidden:
            return 0
        entry = entries[i]
        return entry.count + 1 + (inner_total if entry.margin else 0)

    arcs: dict[int, list[tuple[int, int, int]]] = {}
    for i, entry in enumerate(entries):
        if i != index:
            for a, b in _moves(entry):
                arcs.setdefault(a, []).append((b, i, cost(i)))

    best: tuple[int, set[int]] | None = None
    for a, b in _moves(entries[index]):
        # Dijkstra from b back to a.
        distance = {b: 0}
        via: dict[int, tuple[int, int]] = {}
        queue = [(0, b)]
        while queue:
            d, node = heapq.heappop(queue)
            if d > distance.get(node, d):
                continue
            if node == a:
                break
            for nxt, edge, weight in arcs.get(node, ()):
                if d + weight < distance.get(nxt, d + weight + 1):
                    distance[nxt] = d + weight
                    via[nxt] = (node, edge)
                    heapq.heappush(queue, (d + weight, nxt))
        if a not in distance or (best is not None and distance[a] >= best[0]):
            continue
        path, node = set(), a
        while node != b:
            node, edge = via[node]
            path.add(edge)
        best = (distance[a], path)
    if best is None:  # Cannot happen: hiding every number always leaves a cycle.
        raise RuntimeError("No complement found.")
    return best[1] - hidden


def _protect(entries: Sequence[_Entry], hidden: set[int]) -> set[int]:
    """Add complements to `hidden` until no hidden number can be worked out; returns the set."""
    hidden = set(hidden)
    while True:
        exposed = [i for i in sorted(hidden) if not _can_change(entries, hidden, i)]
        if not exposed:
            return hidden
        # The smallest exposed number first: its cheapest cycle often covers the others too.
        exposed.sort(key=lambda i: (entries[i].count, i))
        hidden |= _cheapest_cycle(entries, hidden, exposed[0])


# Two-way tables.


class Row(NamedTuple):
    """One row of a published table, for templates."""

    label: str
    cells: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True)
class Table:
    """A published two-way table (e.g. type of help x provider) with its totals."""

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell
    public: bool

    @property
    def rows(self) -> list[Row]:
        """The rows with their labels and totals."""
        return [
            Row(label, cells, total)
            for label, cells, total in zip(
                self.row_labels, self.cells, self.row_totals, strict=True
            )
        ]

    @property
    def has_hidden(self) -> bool:
        """Whether any number is hidden, so the page explains "te weinig reacties"."""
        every = [*self.row_totals, *self.column_totals, self.total]
        every += [cell for row in self.cells for cell in row]
        return not all(cell.shown for cell in every)


def _check_grid(counts: Sequence[Sequence[int]]) -> tuple[int, int]:
    rows = len(counts)
    columns = len(counts[0]) if rows else 0
    if not rows or not columns:
        raise ValueError("A table needs at least one row and one column.")
    for row in counts:
        if len(row) != columns:
            raise ValueError("Every row needs the same number of columns.")
        for count in row:
            if count < 0:
                raise ValueError("Counts cannot be negative.")
    return rows, columns


def _labels(labels: Sequence[str] | None, size: int) -> tuple[str, ...]:
    if labels is None:
        return ("",) * size
    if len(labels) != size:
        raise ValueError("There must be one label per row or column.")
    return tuple(str(label) for label in labels)


class _Grid(NamedTuple):
    """A table as graph edges; position (i, j) with i == R or j == C is a total."""

    entries: list[_Entry]
    index: dict[tuple[int, int], int]  # position -> entry
    position: list[tuple[int, int]]  # entry -> position


def _grid(counts: Sequence[Sequence[int]]) -> _Grid:
    rows, columns = len(counts), len(counts[0])
    # Nodes: rows 0..R (R: the column totals' row), then columns R+1..R+1+C (the last one:
    # the row totals' column).
    entries: list[_Entry] = []
    index: dict[tuple[int, int], int] = {}
    for i in range(rows + 1):
        for j in range(columns + 1):
            inner_row, inner_column = i < rows, j < columns
            if inner_row and inner_column:
                count = counts[i][j]
            elif inner_row:
                count = sum(counts[i])
            elif inner_column:
                count = sum(row[j] for row in counts)
            else:
                count = sum(map(sum, counts))
            # Row and column totals carry minus their count, so every row and column sums to 0.
            sign = -1 if inner_row != inner_column else 1
            index[(i, j)] = len(entries)
            entries.append(_Entry(i, rows + 1 + j, sign, count, not (inner_row and inner_column)))
    return _Grid(entries, index, list(index))


def suppression_pattern(
    counts: Sequence[Sequence[int]], threshold: int | None = None
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The hidden positions of a table of counts, and those of them hidden for being small.

    Positions are (row, column); row R holds the column totals, column C the row totals, so
    (R, C) is the grand total. For callers that publish their own layout of a table.
    """
    _check_grid(counts)
    return _pattern(_grid(counts), min_n() if threshold is None else threshold, set())


def _pattern(
    grid: _Grid, threshold: int, start: set[tuple[int, int]]
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    small = {i for i, entry in enumerate(grid.entries) if entry.count < threshold}
    hidden = _protect(grid.entries, small | {grid.index[p] for p in start})
    return {grid.position[i] for i in hidden}, {grid.position[i] for i in small}


def _count_cell(
    count: int, hidden: bool, small: bool, public: bool, base: int | None, base_shown: bool
) -> Cell:
    if hidden:
        return Cell(None, None, False, SMALL if small else COMPLEMENT)
    shown = round_public(count) if public else count
    percent = None
    if base is not None and base_shown and base >= min_n_percent():
        percent = _percent(count, base)
    return Cell(shown, shown, True, percent=percent)


def suppress_table(
    counts: Sequence[Sequence[int]],
    *,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    public: bool = False,
    percent_of: Literal["row", "column", "total"] | None = None,
) -> Table:
    """A table of counts (respondents per row x column) as it may be published.

    The totals are computed here from the cells: a category that is left out (such as "no
    provider known") must be a row or column of its own, or its count could be worked out.
    `percent_of` adds the share of the row, column or grand total where that total is shown
    and large enough.
    """
    rows, columns = _check_grid(counts)
    grid = _grid(counts)
    hidden, small = _pattern(grid, min_n(), set())

    def cell(i: int, j: int) -> Cell:
        base_position = {
            "row": (i, columns),
            "column": (rows, j),
            "total": (rows, columns),
            None: None,
        }[percent_of]
        if base_position == (i, j):
            # A total's share is of the grand total (and the grand total has none).
            base_position = (rows, columns) if (i, j) != (rows, columns) else None
        base = grid.entries[grid.index[base_position]].count if base_position else None
        return _count_cell(
            grid.entries[grid.index[(i, j)]].count,
            (i, j) in hidden,
            (i, j) in small,
            public,
            base,
            base_position not in hidden,
        )

    return Table(
        row_labels=_labels(row_labels, rows),
        column_labels=_labels(column_labels, columns),
        cells=tuple(tuple(cell(i, j) for j in range(columns)) for i in range(rows)),
        row_totals=tuple(cell(i, columns) for i in range(rows)),
        column_totals=tuple(cell(rows, j) for j in range(columns)),
        total=cell(rows, columns),
        public=public,
    )


def figure_table(
    values: Sequence[Sequence[float | None]],
    counts: Sequence[Sequence[int]],
    *,
    row_values: Sequence[float | None],
    column_values: Sequence[float | None],
    total_value: float | None,
    share: bool,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    public: bool = False,
) -> Table:
    """A table of means (share=False) or shares (share=True, between 0 and 1) per cell, each
    with its respondents in `counts`, and the figures of the row, column and grand totals.

    The n's are suppressed as in suppress_table. A figure is hidden where its n is; a share
    also where n < SUPPRESSION_MIN_N_PERCENT, and then again with complements, because a
    share times n is a count: a row's share and n minus the other cells would give it away.
    """
    rows, columns = _check_grid(counts)
    if len(values) != rows or any(len(row) != columns for row in values):
        raise ValueError("values and counts must have the same shape.")
    if len(row_values) != rows or len(column_values) != columns:
        raise ValueError("There must be one row value per row and one column value per column.")
    grid = _grid(counts)
    n_hidden, n_small = _pattern(grid, min_n(), set())
    if share:
        value_hidden, value_small = _pattern(grid, min_n_percent(), n_hidden)
    else:
        value_hidden, value_small = n_hidden, n_small
    kind: Kind = "share" if share else "mean"

    def cell(i: int, j: int, value: float | None) -> Cell:
        n = grid.entries[grid.index[(i, j)]].count
        if (i, j) in n_hidden:
            return Cell(None, None, False, SMALL if (i, j) in n_small else COMPLEMENT, kind=kind)
        shown_n = round_public(n) if public else n
        if (i, j) in value_hidden or value is None:
            reason = FEW_FOR_PERCENT if (i, j) in value_small else COMPLEMENT
            return Cell(None, shown_n, False, reason, kind=kind)
        percent = _percent(value, 1) if share else None
        return Cell(value, shown_n, True, percent=percent, kind=kind)

    return Table(
        row_labels=_labels(row_labels, rows),
        column_labels=_labels(column_labels, columns),
        cells=tuple(tuple(cell(i, j, values[i][j]) for j in range(columns)) for i in range(rows)),
        row_totals=tuple(cell(i, columns, row_values[i]) for i in range(rows)),
        column_totals=tuple(cell(rows, j, column_values[j]) for j in range(columns)),
        total=cell(rows, columns, total_value),
        public=public,
    )


# One-way tables.


class Item(NamedTuple):
    """One line of a published breakdown, for templates."""

    label: str
    cell: Cell


@dataclass(frozen=True)
class Breakdown:
    """A published one-way table (e.g. answers per district) with its total."""

    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    total: Cell
    public: bool

    @property
    def items(self) -> list[Item]:
        """The lines with their labels."""
        return [Item(label, cell) for label, cell in zip(self.labels, self.cells, strict=True)]

    @property
    def has_hidden(self) -> bool:
        """Whether any number is hidden."""
        return not all(cell.shown for cell in (*self.cells, self.total))


def suppress_breakdown(
    counts: Sequence[int],
    *,
    labels: Sequence[str] | None = None,
    public: bool = False,
    percent: bool = False,
) -> Breakdown:
    """A one-way table of counts and their total as it may be published.

    `percent` adds each line's share of the total where the total is shown and large enough.
    """
    if not counts:
        raise ValueError("A breakdown needs at least one line.")
    if any(count < 0 for count in counts):
        raise ValueError("Counts cannot be negative.")
    total = sum(counts)
    # Two nodes, every number an edge between them: the cells sum to the total.
    entries = [_Entry(0, 1, 1, count, False) for count in counts]
    entries.append(_Entry(0, 1, -1, total, True))
    small = {i for i, entry in enumerate(entries) if entry.count < min_n()}
    hidden = _protect(entries, small)
    total_index = len(counts)
    base = total if percent else None
    cells = tuple(
        _count_cell(count, i in hidden, i in small, public, base, total_index not in hidden)
        for i, count in enumerate(counts)
    )
    total_cell = _count_cell(
        total, total_index in hidden, total_index in small, public, None, False
    )
    return Breakdown(_labels(labels, len(counts)), cells, total_cell, public)
