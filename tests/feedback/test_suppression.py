"""Small-cell suppression: no small number shown, and no hidden number that can be worked out.

The audit in these tests is written apart from the module's own: it looks for a unit move
around a cycle of hidden numbers in the table-with-totals grid (up, down, up, ... along rows and
columns), applies it to a copy of the full table and checks from scratch that everything shown
is unchanged, every row and column still adds up and no count is below 0. On tiny tables that
audit is itself checked against brute force: every table of whole numbers that fits what is shown.
"""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.suppression import (
    COMPLEMENT,
    FEW_FOR_PERCENT,
    SMALL,
    Cell,
    figure,
    figure_table,
    round_public,
    suppress_breakdown,
    suppress_table,
    suppression_pattern,
)

MIN_N = 10

# The independent audit.


def extended(counts: list[list[int]]) -> list[list[int]]:
    """The table with a row of column totals and a column of row totals (and the grand total)."""
    grid = [[*row, sum(row)] for row in counts]
    grid.append([sum(column) for column in zip(*grid, strict=True)])
    return grid


def fits(candidate: list[list[int]], truth: list[list[int]], hidden: set) -> bool:
    """Whether `candidate` agrees with everything a reader sees of `truth`."""
    rows, columns = len(truth) - 1, len(truth[0]) - 1
    for i in range(rows + 1):
        for j in range(columns + 1):
            if candidate[i][j] < 0:
                return False
            if (i, j) not in hidden and candidate[i][j] != truth[i][j]:
                return False
    rows_add_up = all(sum(candidate[i][:columns]) == candidate[i][columns] for i in range(rows + 1))
    columns_add_up = all(
        sum(candidate[i][j] for i in range(rows)) == candidate[rows][j] for j in range(columns + 1)
    )
    return rows_add_up and columns_add_up


def alternative(truth: list[list[int]], hidden: set, target: tuple[int, int]):
    """Another fitting table in which `target` differs, found as a unit move around a cycle."""
    rows, columns = len(truth) - 1, len(truth[0]) - 1

    def sign(i: int, j: int) -> int:
        # Totals enter their row or column with a minus: then every line sums to zero.
        return -1 if (i == rows) != (j == columns) else 1

    def can(position: tuple[int, int], step: int) -> bool:
        i, j = position
        return truth[i][j] + sign(i, j) * step >= 0

    for first in (1, -1):
        if not can(target, first):
            continue
        # Breadth-first over rows that need a -first in one of their hidden numbers.
        start_row, goal_column = target
        came_from: dict = {("row", start_row): None}
        queue = deque([start_row])
        closing = None
        while queue and closing is None:
            row = queue.popleft()
            for j in range(columns + 1):
                here = (row, j)
                if here == target or here not in hidden or not can(here, -first):
                    continue
                if j == goal_column:
                    closing = (row, here)
                    break
                if ("column", j) in came_from:
                    continue
                came_from[("column", j)] = (row, here)
                for i in range(rows + 1):
                    there = (i, j)
                    if i == row or there not in hidden or not can(there, first):
                        continue
                    if ("row", i) not in came_from:
                        came_from[("row", i)] = (j, there)
                        queue.append(i)
        if closing is None:
            continue
        moves = {target: first}
        row, here = closing
        moves[here] = -first
        while row != start_row:
            column, there = came_from[("row", row)]
            moves[there] = first
            row, here = came_from[("column", column)]
            moves[here] = -first
        candidate = [list(line) for line in truth]
        for (i, j), step in moves.items():
            candidate[i][j] += sign(i, j) * step
        assert fits(candidate, truth, hidden), "the cycle move broke the table"
        assert candidate[target[0]][target[1]] != truth[target[0]][target[1]]
        return candidate
    return None


def published(table) -> list[list[Cell]]:
    """The table's cells in the extended grid layout."""
    grid = [[*cells, total] for cells, total in zip(table.cells, table.row_totals, strict=True)]
    grid.append([*table.column_totals, table.total])
    return grid


def hidden_positions(table) -> set:
    return {
        (i, j)
        for i, line in enumerate(published(table))
        for j, cell in enumerate(line)
        if not cell.shown
    }


def assert_safe(counts: list[list[int]], table) -> None:
    """No small number shown, the line rule holds and no hidden number can be worked out."""
    truth = extended(counts)
    grid = published(table)
    hidden = hidden_positions(table)
    for i, line in enumerate(grid):
        for j, cell in enumerate(line):
            if cell.shown:
                assert truth[i][j] >= MIN_N
            else:
                assert cell.value is None and cell.n is None
    rows, columns = len(counts), len(counts[0])
    for i in range(rows + 1):
        line = [(i, j) for j in range(columns + 1) if (i, j) in hidden]
        assert len(line) != 1, f"row {i} has a single hidden number"
    for j in range(columns + 1):
        line = [(i, j) for i in range(rows + 1) if (i, j) in hidden]
        assert len(line) != 1, f"column {j} has a single hidden number"
    for position in hidden:
        assert alternative(truth, hidden, position) is not None, f"{position} can be worked out"


def brute_force_free(truth: list[list[int]], hidden: set) -> set:
    """The hidden positions that take two or more values over all fitting tables (tiny only)."""
    rows, columns = len(truth) - 1, len(truth[0]) - 1
    inner = [(i, j) for (i, j) in sorted(hidden) if i < rows and j < columns]
    bound = truth[rows][columns] + 1  # a unit move from the truth stays within this
    seen: dict = {position: set() for position in hidden}
    for values in itertools.product(range(bound + 1), repeat=len(inner)):
        counts = [line[:columns] for line in truth[:rows]]
        for (i, j), value in zip(inner, values, strict=True):
            counts[i][j] = value
        candidate = extended(counts)
        if fits(candidate, truth, hidden):
            for i, j in hidden:
                seen[(i, j)].add(candidate[i][j])
            if all(len(values) > 1 for values in seen.values()):
                break
    return {position for position, values in seen.items() if len(values) > 1}


# Rules, one by one.


def test_a_small_cell_and_the_smallest_complements_are_hidden():
    table = suppress_table([[20, 5, 30], [40, 50, 60], [25, 35, 45]])
    assert [cell.reason for cell in table.cells[0]] == [COMPLEMENT, SMALL, ""]
    assert [cell.shown for cell in table.cells[2]] == [False, False, True]
    assert all(cell.shown for cell in table.cells[1])
    assert all(cell.shown for cell in (*table.row_totals, *table.column_totals, table.total))
    assert table.total.value == 310
    assert_safe([[20, 5, 30], [40, 50, 60], [25, 35, 45]], table)


def test_a_table_without_small_cells_is_shown_whole():
    table = suppress_table([[10, 11], [12, 13]])
    assert not table.has_hidden
    assert [row.total.value for row in table.rows] == [21, 25]


def test_a_small_total_is_hidden_and_protected():
    counts = [[4, 3, 2], [30, 40, 50], [20, 25, 35]]
    table = suppress_table(counts)
    assert table.row_totals[0].reason == SMALL
    assert all(not cell.shown for cell in table.cells[0])
    assert_safe(counts, table)


def test_a_bridge_between_two_hidden_blocks_is_caught_by_the_audit():
    # Every line has two hidden numbers, yet (1, 2) links two rectangles and is their difference.
    counts = [[12, 13, 20, 20], [14, 15, 16, 20], [20, 20, 17, 18], [20, 20, 19, 21]]
    truth = extended(counts)
    pattern = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)}
    assert alternative(truth, pattern, (1, 2)) is None
    assert alternative(truth, pattern, (0, 0)) is not None


def test_hidden_zeros_next_to_a_shown_total_are_not_enough():
    breakdown = suppress_breakdown([0, 0, 50])
    # The two zeros add up to 50 - 50: both would be known, so the 50 is hidden as well.
    assert [cell.shown for cell in breakdown.cells] == [False, False, False]
    assert breakdown.total.value == 50


def test_a_breakdown_hides_the_smallest_other_line():
    breakdown = suppress_breakdown([3, 40, 12, 50], labels=["a", "b", "c", "d"])
    assert [cell.reason for cell in breakdown.cells] == [SMALL, "", COMPLEMENT, ""]
    assert breakdown.total.value == 105
    assert [item.label for item in breakdown.items] == ["a", "b", "c", "d"]


def test_a_single_cell_is_hidden_with_its_total():
    assert not suppress_breakdown([7]).total.shown
    table = suppress_table([[7]])
    assert not any(cell.shown for line in published(table) for cell in line)


def test_a_one_column_table_hides_the_row_total_with_the_cell():
    counts = [[4], [30], [40]]
    assert_safe(counts, suppress_table(counts))


def test_counts_cannot_be_negative_or_ragged():
    with pytest.raises(ValueError):
        suppress_table([[1, -1]])
    with pytest.raises(ValueError):
        suppress_table([[1, 2], [3]])
    with pytest.raises(ValueError):
        suppress_table([])
    with pytest.raises(ValueError):
        suppress_breakdown([])


def test_public_counts_are_rounded_to_five():
    assert [round_public(n) for n in (10, 12, 13, 17, 18, 102)] == [10, 10, 15, 15, 20, 100]
    table = suppress_table([[12, 13], [18, 21]], public=True)
    assert [[cell.value for cell in row] for row in table.cells] == [[10, 15], [20, 20]]
    # Totals are rounded on their own: 25 and 39, not the sums of the rounded cells.
    assert [cell.value for cell in table.row_totals] == [25, 40]
    assert table.total.value == 65


@override_settings(PUBLIC_COUNT_ROUNDING=1)
def test_rounding_can_be_switched_off():
    assert round_public(13) == 13


def test_percentages_need_a_base_of_thirty():
    table = suppress_table([[12, 13], [30, 40]], percent_of="row")
    assert [cell.percent for cell in table.cells[0]] == [None, None]  # base 25
    assert [cell.percent for cell in table.cells[1]] == [43, 57]  # base 70
    table = suppress_table([[12, 13], [30, 40]], percent_of="column")
    assert [cell.percent for cell in table.cells[1]] == [71, 75]
    assert table.column_totals[0].percent == 44  # of the grand total, 95


@override_settings(SUPPRESSION_MIN_N=5, SUPPRESSION_MIN_N_PERCENT=20)
def test_the_thresholds_come_from_settings():
    table = suppress_table([[5, 6], [7, 8]])
    assert not table.has_hidden
    assert figure(0.5, 20, share=True).percent == 50


def test_a_mean_needs_ten_respondents():
    assert figure(6.8, 9) == Cell(None, None, False, SMALL, kind="mean")
    assert figure(6.8, 10) == Cell(6.8, 10, True, kind="mean")


def test_a_share_needs_thirty_and_keeps_its_n_below_that():
    assert figure(0.7, 25, share=True) == Cell(None, 25, False, FEW_FOR_PERCENT, kind="share")
    assert figure(0.706, 30, share=True).percent == 71
    assert figure(0.7, 33, share=True, public=True).n == 35


def test_a_hidden_share_in_a_table_gets_a_complement():
    # Row 0: n = 20 and 40, so the first share is hidden; with the row's share and n shown, the
    # second share would give it away, so it is hidden too (its n stays).
    counts = [[20, 40], [50, 60]]
    values = [[0.5, 0.6], [0.7, 0.8]]
    table = figure_table(
        values,
        counts,
        row_values=[0.57, 0.75],
        column_values=[0.64, 0.7],
        total_value=0.68,
        share=True,
    )
    assert [cell.reason for cell in table.cells[0]] == [FEW_FOR_PERCENT, COMPLEMENT]
    assert [cell.n for cell in table.cells[0]] == [20, 40]
    hidden = {(i, j) for i, j in hidden_positions(table)}
    assert alternative(extended(counts), hidden, (0, 0)) is not None
    means = figure_table(
        values, counts, row_values=[6.0, 7.0], column_values=[6, 7], total_value=6.5, share=False
    )
    assert not means.has_hidden


def test_the_pattern_is_available_for_custom_layouts():
    hidden, small = suppression_pattern([[20, 5, 30], [40, 50, 60], [25, 35, 45]])
    assert small == {(0, 1)}
    assert hidden == {(0, 0), (0, 1), (2, 0), (2, 1)}


# Rendering.


def render(source: str, **context) -> str:
    return Template("{% load suppression %}" + source).render(Context(context))


def test_template_filters_render_numbers_and_te_weinig_reacties():
    table = suppress_table([[20, 5], [40, 50], [60, 70]], percent_of="row")
    with translation.override("nl"):
        assert render("{{ c|cell_text }}", c=table.cells[0][1]) == "te weinig reacties"
        assert render("{{ c|cell_percent }}", c=table.cells[1][0]) == "te weinig reacties"
        assert render("{{ c|cell_text }}", c=table.cells[2][0]) == "60"
        assert render("{{ c|cell_percent }}", c=table.cells[2][0]) == "46%"
        assert render("{{ c|cell_text }}", c=figure(6.84, 12)) == "6,8"
        assert render("{{ c|cell_text }}", c=figure(0.7, 40, share=True)) == "70%"
        assert render("{{ c|cell_n }}", c=figure(0.7, 20, share=True)) == "20"
        assert "afgerond op 5" in render("{% suppression_note public=True %}")


def test_te_weinig_reacties_is_translated():
    with translation.override("en"):
        assert render("{{ c|cell_text }}", c=figure(1.0, 2)) == "too few responses"


# Properties over random tables.

# Many small numbers, so that primary and secondary suppression both get work.
count = st.one_of(st.integers(0, 12), st.integers(0, 60))
tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 6).flatmap(
        lambda columns: st.lists(
            st.lists(count, min_size=columns, max_size=columns), min_size=rows, max_size=rows
        )
    )
)


@settings(max_examples=200, deadline=None, database=None)
@given(tables)
def test_no_table_shows_a_small_number_or_one_that_can_be_worked_out(counts):
    assert_safe(counts, suppress_table(counts))


@settings(max_examples=100, deadline=None, database=None)
@given(tables)
def test_public_tables_hide_the_same_and_round_what_they_show(counts):
    exact = suppress_table(counts)
    public = suppress_table(counts, public=True, percent_of="row")
    assert hidden_positions(public) == hidden_positions(exact)
    for shown_exact, shown_public in zip(
        itertools.chain(*published(exact)), itertools.chain(*published(public)), strict=True
    ):
        if shown_public.shown:
            assert shown_public.value % 5 == 0
            assert abs(shown_public.value - shown_exact.value) <= 2


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(count, min_size=1, max_size=8))
def test_no_breakdown_shows_a_small_number_or_one_that_can_be_worked_out(counts):
    breakdown = suppress_breakdown(counts)
    hidden = [i for i, cell in enumerate(breakdown.cells) if not cell.shown]
    for cell, n in zip(breakdown.cells, counts, strict=True):
        assert not cell.shown or n >= MIN_N
    assert not breakdown.total.shown or sum(counts) >= MIN_N
    if not breakdown.total.shown:
        assert hidden, "a hidden total is the sum of the shown lines"
    if not hidden:
        return
    # With the total shown, the hidden lines' sum is known: every hidden line must be able to
    # give or take one from another hidden line.
    if breakdown.total.shown:
        for i in hidden:
            assert any(counts[i] >= 1 or counts[k] >= 1 for k in hidden if k != i), (
                f"line {i} can be worked out"
            )


tiny_tables = st.sampled_from([(1, 1), (1, 2), (1, 3), (2, 1), (3, 1), (2, 2)]).flatmap(
    lambda shape: st.lists(
        st.lists(st.integers(0, 7), min_size=shape[1], max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0],
    )
)


@override_settings(SUPPRESSION_MIN_N=4)
@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(tiny_tables, st.data())
def test_the_cycle_audit_agrees_with_brute_force_on_tiny_tables(counts, data):
    truth = extended(counts)
    positions = [(i, j) for i in range(len(truth)) for j in range(len(truth[0]))]
    # Any hidden pattern, not only the module's: the audit itself is under test here.
    hidden = set(data.draw(st.lists(st.sampled_from(positions), unique=True, max_size=5)))
    free = brute_force_free(truth, hidden)
    for position in hidden:
        assert (alternative(truth, hidden, position) is not None) == (position in free)
    # And the module's own pattern leaves every hidden number free.
    pattern = hidden_positions(suppress_table(counts))
    assert brute_force_free(truth, pattern) == pattern


def test_a_shown_mean_is_rounded_half_up_not_cut_off():
    from django.utils import translation

    from feedback.templatetags.suppression import cell_text

    with translation.override("nl"):
        assert cell_text(figure(7.99, 40)) == "8,0"
        assert cell_text(figure(7.05, 40)) == "7,1"
