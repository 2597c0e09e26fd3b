"""Translations and packaged resources (icon, .qm files) for the window.

Every visible string goes through `tr()`, which uses one translation context so that
`resources/i18n/update_ts.py` can collect the strings and `pyside6-lrelease` can compile them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator
from PySide6.QtGui import QIcon

CONTEXT = "EdgeUploader"
LANGUAGES = {"en": "English", "zh_TW": "繁體中文 (Traditional Chinese)"}
ICON_FILE = "edge-uploader.svg"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def say(what: Any) -> str:
    """A core sentence in the window's language: a refusal (or `Msg`) by its message id, else
    its text through `tr` (a sentence that is a catalogue template without parameters)."""
    from edge_app.domain.messages import Msg

    message = what if isinstance(what, Msg) else getattr(what, "msg", None)
    if isinstance(message, Msg):
        return message.render(tr)
    return tr(str(what))


def resources_dir() -> Path:
    """`resources/` beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icons" / ICON_FILE))


def qt_translations_dirs() -> list[Path]:
    """Where Qt's own translations (qtbase_*.qm) are: Qt's folder, or the bundle's copy."""
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle) / "PySide6" / "Qt" / "translations")
        dirs.append(Path(bundle) / "PySide6" / "translations")
    return dirs


def install_translator(language: str) -> QTranslator | None:
    """Load `edge_app_<language>.qm`, and Qt's `qtbase_<language>.qm` for Qt's own buttons
    (OK, Cancel, Yes, Next ...); None for English or when our file is missing."""
    app = QCoreApplication.instance()
    if app is None or language not in LANGUAGES or language == "en":
        return None
    translator = QTranslator(app)
    if not translator.load(str(resources_dir() / "i18n" / f"edge_app_{language}.qm")):
        return None
    qt_base = QTranslator(translator)
    for folder in qt_translations_dirs():
        if qt_base.load(f"qtbase_{language}", str(folder)):
            app.installTranslator(qt_base)
            break
    app.installTranslator(translator)
    return translator


def remove_translator(translator: QTranslator | None) -> None:
    app = QCoreApplication.instance()
    if app is not None and translator is not None:
        for qt_base in translator.findChildren(QTranslator):
            app.removeTranslator(qt_base)
        app.removeTranslator(translator)


class LanguageSwitch:
    """The window's current translators; `set(language)` swaps them at once (Qt then sends
    every widget a LanguageChange event, and the window rebuilds its texts)."""

    def __init__(self) -> None:
        self.language = "en"
        self.translator: QTranslator | None = None

    def set(self, language: str) -> bool:
        """True when the language changed."""
        if language == self.language and (language == "en" or self.translator is not None):
            return False
        remove_translator(self.translator)
        self.translator = install_translator(language)
        self.language = language if self.translator is not None else "en"
        return True


_SWITCH: list[LanguageSwitch] = []


def switch_language(language: str) -> bool:
    """Make `language` the window's language now; True when it changed."""
    if not _SWITCH:
        _SWITCH.append(LanguageSwitch())
    return _SWITCH[0].set(language)


def current_language() -> str:
    return _SWITCH[0].language if _SWITCH else "en"
