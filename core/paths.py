"""Where the plugin's own files live, defined once (the plugin folder is the repository root)."""

from __future__ import annotations

from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent.parent
RESOURCES_DIR = PLUGIN_DIR / "resources"
ICON_PATH = RESOURCES_DIR / "icon.svg"
STYLES_DIR = RESOURCES_DIR / "styles"
PALETTE_FILE = RESOURCES_DIR / "lcz_classes.json"
SAMPLE_SCENE = RESOURCES_DIR / "sample" / "hongkong_tko_S2L1C_20180323.tif"
MODELS_DIR = PLUGIN_DIR / "models"
I18N_DIR = PLUGIN_DIR / "i18n"
#: The user documentation ships in the plugin zip: the Processing help button and error messages point here.
DOCS_DIR = PLUGIN_DIR / "docs"
USER_GUIDE = DOCS_DIR / "USER_GUIDE.md"
#: The guide as HTML (scripts/markdown_html.py, made by scripts/package.sh into the zip): what the Help button opens.
USER_GUIDE_HTML = DOCS_DIR / "USER_GUIDE.html"
MODEL_CONTRACT_DOC = DOCS_DIR / "MODEL_CONTRACT.md"


def user_guide_url(docs_dir: Path = DOCS_DIR) -> str:
    """The Help button's page: the HTML guide the zip ships; in a source checkout without it, the Markdown."""
    html = docs_dir / USER_GUIDE_HTML.name
    return (html if html.is_file() else docs_dir / USER_GUIDE.name).as_uri()
