"""A running poll with one question of each kind, shared by the poll tests."""

from youth_panel.models import PollQuestion, PollSession
from youth_panel.polls import control

Kind = PollQuestion.Kind
KINDS = [Kind.SINGLE, Kind.MULTIPLE, Kind.SCALE, Kind.WORDS, Kind.RANKING, Kind.YES_NO]


def make_running_poll(title: str, options: dict, *, join_code=None, first_number=0) -> PollSession:
    """Create a session with one question per kind (in KINDS order) and start it."""
    extra = {"join_code": join_code} if join_code else {}
    poll = PollSession.objects.create(title=title, **extra)
    for order, kind in enumerate(KINDS):
        PollQuestion.objects.create(
            session=poll,
            sort_order=order,
            text=f"Vraag {order + first_number}",
            kind=kind,
            options_text=options.get(kind, ""),
            max_choices=2,
        )
    return control(poll, "start")
