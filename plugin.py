"""The plugin object QGIS creates: it only installs a translator and registers the Processing provider.

qgis_process calls initProcessing() with iface=None and never initGui(), so everything the algorithm
needs is set up there; the GUI adds nothing beyond it.
"""

from __future__ import annotations

import contextlib

from qgis.core import QgsApplication, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

from .algorithms.provider import HseLczProvider
from .core import i18n as engine_i18n
from .core.paths import I18N_DIR
from .dependency_prompt import offer_install

TRANSLATION_PREFIX = "hselcz_"


def user_locale() -> str:
    """The two-letter language QGIS runs in (the user's override, else the system's)."""
    settings = QgsSettings()
    locale = ""
    if settings.value("locale/overrideFlag", False, type=bool):
        locale = str(settings.value("locale/userLocale", "") or "")
    if not locale:
        locale = QLocale.system().name()
    return locale[:2]


class HseLczPlugin:
    """Keeps Python references to the provider and translator: QGIS does not own them."""

    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: HseLczProvider | None = None
        self.translator: QTranslator | None = None
        self.install_offer = None  # the message bar item that offers to install onnxruntime (desktop only)
        self._install_translator()

    def _install_translator(self) -> None:
        qm_file = I18N_DIR / f"{TRANSLATION_PREFIX}{user_locale()}.qm"
        if not qm_file.is_file():
            return
        translator = QTranslator()
        if translator.load(str(qm_file)):
            QCoreApplication.installTranslator(translator)
            self.translator = translator

    def initProcessing(self) -> None:  # noqa: N802 (name fixed by QGIS)
        """Register the provider once; qgis_process and the GUI both call this."""
        if self.provider is not None:
            return
        # The engine's log lines and warnings in QGIS's language (core.i18n; English where no translation is loaded).
        engine_i18n.install(lambda template: QCoreApplication.translate(engine_i18n.ENGINE_CONTEXT, template))
        self.provider = HseLczProvider()
        if not QgsApplication.processingRegistry().addProvider(self.provider):
            self.provider = None

    def initGui(self) -> None:  # noqa: N802 (name fixed by QGIS)
        self.initProcessing()
        self.install_offer = offer_install(self.iface)

    def unload(self) -> None:
        engine_i18n.install(None)
        if self.install_offer is not None:
            with contextlib.suppress(RuntimeError):  # the user closed it: Qt deleted it already
                self.iface.messageBar().popWidget(self.install_offer)
            self.install_offer = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        if self.translator is not None:
            QCoreApplication.removeTranslator(self.translator)
            self.translator = None
