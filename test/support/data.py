"""Where the tests' data lies, defined once: the repository, the bundled sample, the founders' shared data.

Tests that read `SHARED_DATA` skip where it is absent (a clone without the founders' folder beside it).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from core.paths import PLUGIN_DIR as REPO_ROOT  # the repository root is the plugin folder
from core.paths import SAMPLE_SCENE as SAMPLE_SCENE  # the bundled real Sentinel-2 L1C crop (Hong Kong, 10 bands)

TEST_DATA = REPO_ROOT / "test" / "data"
#: A crop of one Pisa test block: real imagery and real building cover (its README names sources and licences).
PISA_CROP = TEST_DATA / "pisa_crop"
#: The founders' real data (../shared/data), read only where an issue allows it.
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# The real references of the assessment tests (../shared/data; DATA.md says where each comes from).
HK_DATA = SHARED_DATA / "oscd" / "hongkong"
PRD = HK_DATA / "hongkong_LCZ_PRD_sjliu_2018-19_100m_on_oscd_grid.tif"
TEST_SAMPLES = HK_DATA / "hongkong_LCZ_testsamples_sjliu_on_oscd_grid.tif"
TRAIN_SAMPLES = HK_DATA / "hongkong_LCZ_trainsamples_sjliu_on_oscd_grid.tif"
MILAN_5 = SHARED_DATA / "oscd" / "milano" / "milano_LCZ5class_CopernicusAcademy_10m_on_oscd_grid.tif"
MALTA_ZIP = SHARED_DATA / "references" / "malta_imperviousness" / "IMD_2015_020m_mt_03035_d04_clip.zip"
MALTA = f"/vsizip/{MALTA_ZIP}/IMD_2015_020m_mt_03035_d04_clip/IMD_2015_020m_mt_03035_d04_clip.tif"
#: The HK sample rasters' own codes (DATA.md: 9 -> LCZ 2, 11 -> LCZ 4, 17 -> LCZ F), as an explicit mapping.
HK_MAPPING = "9->2; 11->4; 17->16"
#: The LCZ classes grouped into the Milan reference's 5 classes.
MILAN_GROUPS = "1,2,4,5->1; 3,6,7,8,10->2; 11,12->3; 13,14,16->4; 17->5"


@functools.cache
def scene_copy() -> Path:
    """The bundled sample scene, copied once per session into a temporary folder.

    QGIS writes a .aux.xml (the histogram of its default renderer) beside every raster it opens as a layer,
    which Processing does with INPUT; tests must not leave that file in the repository.
    """
    folder = Path(tempfile.mkdtemp(prefix="hselcz-scene-"))
    atexit.register(shutil.rmtree, folder, True)
    return Path(shutil.copy2(SAMPLE_SCENE, folder / SAMPLE_SCENE.name))
