"""Categories of a case and an answer (national youth-care statistics, Alkmaar areas)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HelpType(models.TextChoices):
    """Type of help (Beleidsinformatie Jeugd categories)."""

    LOCAL_TEAM = "local_team", _("Lokaal team / CJG")
    AMBULANT = "ambulant", _("Ambulante hulp")
    DAY_TREATMENT = "day_treatment", _("Daghulp")
    OWN_NETWORK = "own_network", _("Hulp in het eigen netwerk")
    FOSTER_CARE = "foster_care", _("Pleegzorg")
    FAMILY_HOME = "family_home", _("Gezinshuis")
    SECURE_RESIDENTIAL = "secure_residential", _("Gesloten verblijf")
    OTHER_RESIDENTIAL = "other_residential", _("Ander verblijf")


class Referrer(models.TextChoices):
    """Who referred the young person."""

    MUNICIPALITY = "municipality", _("Gemeente / lokaal team")
    GP = "gp", _("Huisarts")
    YOUTH_DOCTOR = "youth_doctor", _("Jeugdarts")
    SPECIALIST = "specialist", _("Medisch specialist")
    CERTIFIED_INSTITUTION = "certified_institution", _("Gecertificeerde instelling")
    COURT = "court", _("Rechter of officier van justitie")
    NONE = "none", _("Geen verwijzer")


class EndReason(models.TextChoices):
    """Why the help ended (national codes)."""

    AS_PLANNED = "as_planned", _("Volgens plan")
    EARLY_AGREED = "early_agreed", _("Eerder gestopt, in overleg")
    EARLY_CLIENT = "early_client", _("Eerder gestopt door de cliënt")
    EARLY_PROVIDER = "early_provider", _("Eerder gestopt door de aanbieder")
    EXTERNAL = "external", _("Externe oorzaak")


class AgeBand(models.TextChoices):
    """Age at the end of the help."""

    AGE_0_3 = "0-3", _("0 tot en met 3 jaar")
    AGE_4_11 = "4-11", _("4 tot en met 11 jaar")
    AGE_12_15 = "12-15", _("12 tot en met 15 jaar")
    AGE_16_17 = "16-17", _("16 of 17 jaar")
    AGE_18_22 = "18-22", _("18 tot en met 22 jaar")


class Channel(models.TextChoices):
    """How the invitation reaches the respondent."""

    LETTER = "letter", _("Brief")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Sms")


class NoInviteReason(models.TextChoices):
    """Why nobody may be invited for this case."""

    ANONYMOUS = "anonymous", _("Anonieme hulp")
    WITHOUT_PARENTS = "without_parents", _("Hulp zonder dat de ouders het weten")
    SAFETY = "safety", _("Risico voor de veiligheid")
    DECEASED = "deceased", _("Overleden")


class Respondent(models.TextChoices):
    """Who answers: the young person or a parent."""

    YOUTH = "youth", _("Jongere")
    PARENT = "parent", _("Ouder")


class District(models.TextChoices):
    """Districts and villages of the municipality of Alkmaar."""

    CENTRUM = "centrum", "Centrum"
    OUDORP = "oudorp", "Oudorp"
    DAALMEER_KOEDIJK = "daalmeer-koedijk", "Daalmeer/Koedijk"
    DE_MARE = "de-mare", "De Mare"
    HOEF = "de-hoef", "De Hoef"
    OVERSTAD = "overstad", "Overstad"
    VROONERMEER = "vroonermeer", "Vroonermeer"
    HUISWAARD = "huiswaard", "Huiswaard"
    OOSTERWEZEN = "oosterwezen", "Oosterwezen"
    OUDE_GRACHT = "oude-gracht", "Oude Gracht"
    BERGERMEER = "bergermeer", "Bergermeer"
    PETTEMERBUURT = "pettemerbuurt", "Rekere/Pettemerbuurt"
    GRAFT_DE_RIJP = "graft-de-rijp", "Graft-De Rijp"
    STOMPETOREN = "stompetoren", "Stompetoren"
    SCHERMERHORN = "schermerhorn", "Schermerhorn"
    OTHER = "elders", _("Elders / onbekend")


class Agreement(models.TextChoices):
    """A five-point agreement scale with 'don't know'."""

    STRONGLY_DISAGREE = "1", _("Helemaal niet mee eens")
    DISAGREE = "2", _("Niet mee eens")
    NEUTRAL = "3", _("Niet eens, niet oneens")
    AGREE = "4", _("Mee eens")
    STRONGLY_AGREE = "5", _("Helemaal mee eens")
    DONT_KNOW = "x", _("Weet ik niet")


class GoalsReached(models.TextChoices):
    """Whether the agreed goals were reached."""

    NOT_AT_ALL = "1", _("Helemaal niet")
    LITTLE = "2", _("Een beetje")
    PARTLY = "3", _("Voor een deel")
    LARGELY = "4", _("Grotendeels")
    FULLY = "5", _("Helemaal")
    NO_GOALS = "none", _("Er zijn geen doelen afgesproken")


class FurtherHelp(models.TextChoices):
    """Whether more help is needed now."""

    SAME_OR_HEAVIER = "same_or_heavier", _("Ja, dezelfde of zwaardere hulp")
    LIGHTER = "lighter", _("Lichtere hulp is genoeg")
    NONE_BUT_EXPECTED = "none_expected", _("Nu niet, maar ik denk later wel weer")
    NONE = "none", _("Nee, geen hulp meer nodig")


class EndedRightMoment(models.TextChoices):
    """Whether the help ended at the right moment."""

    YES = "yes", _("Ja")
    PARTLY = "partly", pgettext_lazy("help ended at the right moment", "Een beetje")
    NO = "no", _("Nee")
