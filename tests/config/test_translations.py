"""Every interface string has its English translation, and the compiled catalogue is current."""

import shutil
import subprocess
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _msgattrib(*flags: str) -> str:
    tool = shutil.which("msgattrib")
    assert tool, "gettext is not installed (apt-get install gettext)"
    return subprocess.run(
        [tool, *flags, str(PO)], capture_output=True, text=True, check=True
    ).stdout


def test_no_string_is_untranslated_or_fuzzy():
    assert _msgattrib("--untranslated") == ""
    assert _msgattrib("--only-fuzzy") == ""


def test_compiled_catalogue_matches_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run `make messages`"


def test_english_is_served_from_the_catalogue():
    with translation.override("en"):
        assert translation.gettext("Naar de inhoud") == "Skip to content"
