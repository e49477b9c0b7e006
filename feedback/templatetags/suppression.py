"""Rendering suppressed numbers: `{% load suppression %}`, then `{{ cell|cell_text }}`.

Every hidden number reads "te weinig reacties", whatever the reason it is hidden.
"""

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from feedback.suppression import Cell, one_decimal

register = template.Library()


def _too_few() -> str:
    return _("te weinig reacties")


@register.filter
def cell_text(cell: Cell) -> str:
    """The number as published: a count, a mean with one decimal, a share as a percentage."""
    if cell is None or not cell.shown or cell.value is None:
        return _too_few()
    if cell.kind == "share":
        return f"{number_format(cell.percent)}%"
    if cell.kind == "mean":
        # Rounded half up: number_format(decimal_pos=1) alone cuts off (7.99 would read 7,9).
        return one_decimal(cell.value)
    return number_format(cell.value)


@register.filter
def cell_percent(cell: Cell) -> str:
    """A count's percentage, or "" where its base is too small or hidden."""
    if cell is None or not cell.shown:
        return _too_few()
    if cell.percent is None:
        return ""
    return f"{number_format(cell.percent)}%"


@register.filter
def cell_n(cell: Cell) -> str:
    """The respondents behind a mean or share, or "" when they are hidden."""
    if cell is None or cell.n is None:
        return ""
    return number_format(cell.n)


@register.simple_tag
def suppression_note(public: bool = False) -> str:
    """The short explanation under a table with hidden or rounded numbers."""
    text = _(
        "Bij te weinig reacties laten we een getal niet zien. Soms verbergen we ook een ander "
        "getal, zodat niemand het kan uitrekenen. Zo blijft iedereen onherkenbaar."
    )
    if public and settings.PUBLIC_COUNT_ROUNDING > 1:
        text += " " + _("Aantallen zijn afgerond op %(step)s.") % {
            "step": settings.PUBLIC_COUNT_ROUNDING
        }
    return text
