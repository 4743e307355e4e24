"""metadata.txt is what the plugin manager and plugins.qgis.org read (issue 21, item 1): QGIS 3 and 4, the keys the
repository requires, an `about` that names every algorithm the provider registers and the dependency, a changelog of
the current version, tags."""

from __future__ import annotations

import configparser

from qgis.core import QgsApplication

from core.paths import PLUGIN_DIR

#: The keys plugins.qgis.org refuses a plugin without.
REQUIRED = ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository")


def metadata() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive (qgisMinimumVersion)
    parser.read(PLUGIN_DIR / "metadata.txt", encoding="utf-8")
    return parser["general"]


def test_qgis_3_and_4():
    general = metadata()
    assert general["qgisMinimumVersion"] == "3.22"
    # Without it QGIS assumes the end of the minimum's major line, 3.99, and QGIS 4 hides the plugin.
    assert general["qgisMaximumVersion"] == "4.99"


def test_repository_keys_about_changelog_and_tags(plugin):
    general = metadata()
    assert all(general.get(key, "").strip() for key in REQUIRED), [key for key in REQUIRED if not general.get(key)]
    algorithms = [a.id() for a in QgsApplication.processingRegistry().providerById("hselcz").algorithms()]
    assert len(algorithms) == 8
    missing = [name for name in algorithms if name not in general["about"]]
    assert not missing, f"metadata.txt's about does not name {missing}"
    assert "onnxruntime" in general["about"]
    assert general["changelog"].strip().splitlines()[0].strip() == general["version"]
    tags = [tag.strip() for tag in general["tags"].split(",")]
    assert len(tags) >= 5 and all(tags) and {"sentinel-2", "lcz", "onnxruntime"} <= set(tags)
