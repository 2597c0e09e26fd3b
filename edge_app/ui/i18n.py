"""Translations and packaged resources (icon, .qm files) for the window.

Every visible string goes through `tr()`, which uses one translation context so that
`resources/i18n/update_ts.py` can collect the strings and `pyside6-lrelease` can compile them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtGui import QIcon

CONTEXT = "EdgeUploader"
LANGUAGES = {"en": "English", "zh_TW": "繁體中文 (Traditional Chinese)"}
ICON_FILE = "edge-uploader.svg"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def resources_dir() -> Path:
    """`resources/` beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icons" / ICON_FILE))


def install_translator(language: str) -> QTranslator | None:
    """Load `edge_app_<language>.qm`; None for English or when the file is missing."""
    app = QCoreApplication.instance()
    if app is None or language not in LANGUAGES or language == "en":
        return None
    translator = QTranslator(app)
    if not translator.load(str(resources_dir() / "i18n" / f"edge_app_{language}.qm")):
        return None
    app.installTranslator(translator)
    return translator


def remove_translator(translator: QTranslator | None) -> None:
    app = QCoreApplication.instance()
    if app is not None and translator is not None:
        app.removeTranslator(translator)
