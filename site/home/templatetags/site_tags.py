"""Template helpers for the public site."""

from django import template
from django.utils.safestring import mark_safe
from wagtail.rich_text import expand_db_html

from home.glossary import link_terms

register = template.Library()


@register.simple_tag(takes_context=True)
def glossary_richtext(context, value) -> str:
    """Render rich text and link the first use of each glossary term on the page."""
    if value is None:
        return ""
    html = expand_db_html(getattr(value, "source", value))
    request = context.get("request")
    page = context.get("page")
    if page is not None and page.specific_class.__name__ == "GlossaryPage":
        return mark_safe(html)
    seen = getattr(request, "_glossary_seen", None) if request is not None else None
    if seen is None:
        seen = set()
        if request is not None:
            request._glossary_seen = seen
    return mark_safe(link_terms(html, seen))


@register.filter
def heading_id(value: str) -> str:
    """A stable id for a heading, for the table of contents."""
    from django.utils.text import slugify

    return slugify(str(value)) or "kop"


@register.filter
def in_section(page, item) -> bool:
    """Whether `page` is `item` or lies below it in the page tree."""
    return bool(page is not None and getattr(page, "path", "").startswith(item.path))
