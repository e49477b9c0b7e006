"""StreamField blocks for the vision, chapters and updates; shared through BaseStreamBlock."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link"]
INLINE_FEATURES = ["bold", "italic", "link"]


class HeadingBlock(blocks.StructBlock):
    """A heading inside a page body, with its level."""

    text = blocks.CharBlock(label=_("Tekst"))
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Kop 2")), ("h3", _("Kop 3"))], default="h2", label=_("Niveau")
    )

    class Meta:
        icon = "title"
        template = "home/blocks/heading.html"
        label = _("Kop")


class FigureBlock(blocks.StructBlock):
    """One key number with what it counts."""

    value = blocks.CharBlock(label=_("Getal"), max_length=20)
    label = blocks.CharBlock(label=_("Wat het getal is"), max_length=200)


class KeyFiguresBlock(blocks.StructBlock):
    """A row of key numbers shown large."""

    figures = blocks.ListBlock(FigureBlock(), label=_("Getallen"))

    class Meta:
        icon = "table"
        template = "home/blocks/key_figures.html"
        label = _("Kerngetallen")


class QuoteBlock(blocks.StructBlock):
    """A quotation with who said it."""

    text = blocks.TextBlock(label=_("Citaat"))
    attribution = blocks.CharBlock(required=False, label=_("Wie zei het"))

    class Meta:
        icon = "openquote"
        template = "home/blocks/quote.html"
        label = _("Citaat")


class ImageBlock(blocks.StructBlock):
    """An image with a required text alternative."""

    image = ImageChooserBlock(label=_("Afbeelding"))
    alt = blocks.CharBlock(
        label=_("Alternatieve tekst"), help_text=_("Wat staat er op de afbeelding?")
    )
    caption = blocks.CharBlock(required=False, label=_("Onderschrift"))

    class Meta:
        icon = "image"
        template = "home/blocks/image.html"
        label = _("Afbeelding")


class GlossaryTermBlock(blocks.StructBlock):
    """A term from the glossary, shown with its definition and a link to the glossary."""

    term = SnippetChooserBlock("home.GlossaryTerm", label=_("Begrip"))

    class Meta:
        icon = "help"
        template = "home/blocks/glossary_term.html"
        label = _("Begrip uit de begrippenlijst")


class SectionBlock(blocks.StructBlock):
    """A numbered section of a chapter: heading and text."""

    number = blocks.CharBlock(required=False, max_length=10, label=_("Nummer"))
    heading = blocks.CharBlock(label=_("Kop"))
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Tekst"))

    class Meta:
        icon = "doc-full"
        template = "home/blocks/section.html"
        label = _("Paragraaf")


class UnderstandingBlock(SectionBlock):
    """'Wat verstaan we onder ...?': what the core task means."""

    class Meta:
        icon = "help"
        template = "home/blocks/section.html"
        label = _("Wat verstaan we onder")


class GoalsBlock(SectionBlock):
    """'Wat willen we bereiken?': the goals of a core task."""

    class Meta:
        icon = "success"
        template = "home/blocks/section.html"
        label = _("Wat willen we bereiken")


class ActivityBlock(blocks.StructBlock):
    """One activity of a core task, such as 7.3 a."""

    letter = blocks.CharBlock(required=False, max_length=3, label=_("Letter"))
    title = blocks.CharBlock(label=_("Titel"))
    text = blocks.RichTextBlock(required=False, features=RICH_TEXT_FEATURES, label=_("Tekst"))


class ActivitiesBlock(blocks.StructBlock):
    """'Waar zetten we op in?': the activities of a core task, each its own item."""

    number = blocks.CharBlock(required=False, max_length=10, label=_("Nummer"))
    heading = blocks.CharBlock(default="Waar zetten we op in?", label=_("Kop"))
    intro = blocks.RichTextBlock(required=False, features=RICH_TEXT_FEATURES, label=_("Inleiding"))
    items = blocks.ListBlock(ActivityBlock(), label=_("Activiteiten"))

    class Meta:
        icon = "list-ol"
        template = "home/blocks/activities.html"
        label = _("Waar zetten we op in")


class CoreValueBlock(blocks.StructBlock):
    """A core value with its lettered points."""

    number = blocks.IntegerBlock(min_value=1, label=_("Nummer"))
    title = blocks.CharBlock(label=_("Titel"))
    items = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("letter", blocks.CharBlock(max_length=3, label=_("Letter"))),
                ("text", blocks.RichTextBlock(features=INLINE_FEATURES, label=_("Tekst"))),
            ]
        ),
        label=_("Punten"),
    )

    class Meta:
        icon = "pick"
        template = "home/blocks/core_value.html"
        label = _("Kernwaarde")


class PrincipleBlock(blocks.StructBlock):
    """A leading principle."""

    number = blocks.IntegerBlock(min_value=1, label=_("Nummer"))
    title = blocks.CharBlock(label=_("Titel"))
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Tekst"))

    class Meta:
        icon = "tick-inverse"
        template = "home/blocks/principle.html"
        label = _("Leidend principe")


class StepBlock(blocks.StructBlock):
    """One step of a participation trail."""

    title = blocks.CharBlock(label=_("Titel"))
    date = blocks.DateBlock(required=False, label=_("Datum"))
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Tekst"))

    class Meta:
        icon = "date"
        template = "home/blocks/step.html"
        label = _("Stap")


class BaseStreamBlock(blocks.StreamBlock):
    """The blocks every page body may use."""

    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow", label=_("Tekst"))
    section = SectionBlock()
    key_figures = KeyFiguresBlock()
    quote = QuoteBlock()
    image = ImageBlock()
    glossary_term = GlossaryTermBlock()


class ChapterStreamBlock(BaseStreamBlock):
    """A chapter body: the shared blocks plus core values and principles (chapter 2)."""

    core_value = CoreValueBlock()
    principle = PrincipleBlock()


class CoreTaskStreamBlock(BaseStreamBlock):
    """A core-task chapter keeps its own structure as blocks."""

    understanding = UnderstandingBlock()
    goals = GoalsBlock()
    activities = ActivitiesBlock()
