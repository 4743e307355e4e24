"""Error-adjusted class areas with 95 % confidence intervals: the stratified estimator of Olofsson et al. (2014).

Why: the area of a class counted from a map's pixels is biased by the map's errors (a class the map
over-predicts is over-counted). With a reference sample, the sample's error matrix corrects it: Olofsson, P.,
Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., Wulder, M. A. (2014), "Good practices for estimating
area and assessing accuracy of land change", Remote Sensing of Environment 148: 42-57 (equations 2-10).

The strata are the map's classes over the assessed area: W_i = mapped area of class i / total mapped area, and
n_ij = sample units mapped as i whose reference is j. The estimated area proportion of class j is
p.j = sum_i W_i n_ij / n_i., its standard error S(p.j) = sqrt(sum_i W_i^2 (n_ij/n_i.)(1 - n_ij/n_i.) / (n_i. - 1)),
its area p.j x total and the 95 % interval +- 1.96 S(p.j) x total. User's, producer's and overall accuracy get
their intervals the same way (Olofsson et al. 2014, equations 5-7; producer's: Card 1982).

The assumption: the sample is a stratified random (or simple random) sample of the map. A sample that is not
(reference polygons drawn where the classes are easy to see, a reference raster covering only part of the map)
gives estimates that are biased in unknown ways: the numbers are then a sensitivity check, not an estimate.

Nothing here imports QGIS; the assessment (core.assessment) and the growth sample (estimate_new_built_area) feed it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal, osr

from .errors import EngineError

gdal.UseExceptions()

#: z of a two-sided 95 % normal interval.
Z95 = 1.96
#: WGS 84 semi-major axis (m) and flattening, for cell areas of geographic grids.
_WGS84_A = 6378137.0
_WGS84_F = 1 / 298.257223563


@dataclass
class AreaEstimate:
    """Pixel-count and error-adjusted areas of k classes (km2), with the accuracies, in the order of the classes.

    Arrays are (k,); NaN where a value is not defined (a class absent from both the map and the sample, an
    interval of a stratum with one sample unit). `sample` is n_ij: map classes in rows, reference in columns.
    """

    mapped_km2: np.ndarray
    sample: np.ndarray
    proportions: np.ndarray
    proportion_se: np.ndarray
    area_km2: np.ndarray
    area_ci_km2: np.ndarray
    users: np.ndarray
    users_ci: np.ndarray
    producers: np.ndarray
    producers_ci: np.ndarray
    overall: float
    overall_ci: float
    unsampled: list[int] = field(default_factory=list)  # map classes with area but no sample unit
    single: list[int] = field(default_factory=list)  # map classes with exactly one sample unit

    @property
    def total_km2(self) -> float:
        return float(self.mapped_km2.sum())

    @property
    def sampled_share(self) -> float:
        """Share of the mapped area in classes that have sample units (the estimates cover this part)."""
        total = self.total_km2
        return float(self.mapped_km2[self.sample.sum(axis=1) > 0].sum() / total) if total > 0 else math.nan


def stratified_estimate(mapped_km2: Sequence[float] | np.ndarray, sample: np.ndarray) -> AreaEstimate:
    """Olofsson et al. (2014) estimates from the mapped area of each class and the sample's error matrix.

    mapped_km2: area of each map class (any unit; the areas come back in it); sample: n_ij counts, map classes in
    rows, reference classes in columns, both in the order of mapped_km2. Map classes without sample units carry
    no information about what they really are: they are left out (their area stays unassessed; `unsampled`
    names them), so the proportions sum to the sampled share of the map.
    """
    mapped = np.asarray(mapped_km2, dtype=np.float64)
    n = np.asarray(sample, dtype=np.float64)
    k = mapped.size
    if n.shape != (k, k):
        raise EngineError(f"The error matrix is {n.shape}, but there are {k} map classes.")
    if (mapped < 0).any() or (n < 0).any():
        raise EngineError("Mapped areas and sample counts cannot be negative.")
    total = float(mapped.sum())
    if total <= 0 or n.sum() == 0:
        raise EngineError("Area estimation needs a mapped area and at least one sample unit.")
    weights = mapped / total
    rows = n.sum(axis=1)
    sampled = rows > 0
    share = np.zeros_like(n)  # n_ij / n_i.
    share[sampled] = n[sampled] / rows[sampled, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.where(sampled[:, None], share * (1 - share) / (rows[:, None] - 1), 0.0)  # NaN where n_i. = 1
    single = [int(i) for i in np.flatnonzero(rows == 1)]
    spread[single] = 0.0  # no variance from one unit: said in the notes, the interval is too narrow
    proportion_matrix = weights[:, None] * share  # p_ij, Olofsson eq. 4
    proportions = proportion_matrix.sum(axis=0)
    proportion_se = np.sqrt((weights[:, None] ** 2 * spread).sum(axis=0))
    users = np.where(sampled, np.diag(share), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        users_variance = np.where(rows > 1, users * (1 - users) / (rows - 1), 0.0)
        producers = np.diag(proportion_matrix) / proportions
    users_se = np.sqrt(users_variance)
    overall = float(np.trace(proportion_matrix) / weights[sampled].sum())
    overall_se = math.sqrt(float(np.nansum(weights**2 * users_variance)))
    return AreaEstimate(
        mapped_km2=mapped, sample=n.astype(np.int64), proportions=proportions, proportion_se=proportion_se,
        area_km2=proportions * total, area_ci_km2=Z95 * proportion_se * total,
        users=users, users_ci=np.where(sampled, Z95 * users_se, np.nan),
        producers=producers, producers_ci=Z95 * _producers_se(mapped, n, rows, users, producers),
        overall=overall, overall_ci=Z95 * overall_se,
        unsampled=[int(i) for i in np.flatnonzero(~sampled & (mapped > 0))], single=single,
    )


def _producers_se(mapped: np.ndarray, n: np.ndarray, rows: np.ndarray, users: np.ndarray,
                  producers: np.ndarray) -> np.ndarray:
    """Standard error of the producer's accuracies (Olofsson et al. 2014, eq. 7), in map-area units."""
    k = mapped.size
    sampled = rows > 0
    estimated = np.zeros(k)  # N^.j: estimated reference total of class j, in the units of `mapped`
    estimated[:] = (mapped[sampled, None] * n[sampled] / rows[sampled, None]).sum(axis=0)
    se = np.full(k, np.nan)
    for j in range(k):
        if estimated[j] <= 0 or not sampled[j]:
            continue
        own = 0.0
        if rows[j] > 1:
            own = mapped[j] ** 2 * (1 - producers[j]) ** 2 * users[j] * (1 - users[j]) / (rows[j] - 1)
        others = 0.0
        for i in range(k):
            if i == j or rows[i] < 2:
                continue
            p = n[i, j] / rows[i]
            others += mapped[i] ** 2 * p * (1 - p) / (rows[i] - 1)
        se[j] = math.sqrt(own + producers[j] ** 2 * others) / estimated[j]
    return se


# --------------------------------------------------------------------------------------------- cell areas
def _authalic_q(latitude_deg: np.ndarray) -> np.ndarray:
    """q(phi) of the WGS 84 ellipsoid: the area between two parallels over dlambda is a^2/2 dlambda |q2 - q1|."""
    e2 = _WGS84_F * (2 - _WGS84_F)
    e = math.sqrt(e2)
    s = np.sin(np.radians(latitude_deg))
    return (1 - e2) * (s / (1 - e2 * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e))


def row_cell_km2(geotransform: Sequence[float], projection_wkt: str, height: int) -> np.ndarray:
    """Ground area (km2) of one cell in each of `height` rows of a north-up grid.

    Projected grids: the cell's area in the CRS's linear unit (true to scale in equal-area and, near the
    central meridian, in UTM grids). Geographic grids: the exact area of the cell on the WGS 84 ellipsoid,
    which shrinks towards the poles. A grid without a CRS is refused: its cells have no ground area.
    """
    if geotransform[2] or geotransform[4]:
        raise EngineError("Rotated grids are not supported for areas.")
    if not projection_wkt:
        raise EngineError("The raster has no CRS, so its cells have no known ground area; assign its CRS.")
    srs = osr.SpatialReference()
    srs.ImportFromWkt(projection_wkt)
    if srs.IsGeographic():
        top = geotransform[3] + geotransform[5] * np.arange(height)
        bottom = top + geotransform[5]
        width_rad = math.radians(abs(geotransform[1]))
        return _WGS84_A**2 / 2 * width_rad * np.abs(_authalic_q(top) - _authalic_q(bottom)) / 1e6
    unit = srs.GetLinearUnits() or 1.0
    return np.full(height, abs(geotransform[1] * geotransform[5]) * unit * unit / 1e6)


def dataset_row_km2(dataset: gdal.Dataset) -> np.ndarray:
    """row_cell_km2 of a GDAL dataset's grid."""
    return row_cell_km2(dataset.GetGeoTransform(), dataset.GetProjection(), dataset.RasterYSize)


def class_areas_km2(indices: np.ndarray, row_km2: np.ndarray, k: int) -> np.ndarray:
    """Area (km2) of classes 1..k in a grid of class indices (0: no class), from the cell area of each row."""
    weights = np.broadcast_to(np.asarray(row_km2, dtype=np.float64)[:, None], indices.shape)
    valid = (indices >= 1) & (indices <= k)
    return np.bincount(indices[valid].ravel() - 1, weights=weights[valid].ravel(), minlength=k)[:k]


def block_row_km2(row_km2: np.ndarray, factor: int) -> np.ndarray:
    """Cell areas of the rows of factor x factor blocks (core.scores.aggregate_mean drops the partial ones)."""
    if factor == 1:
        return np.asarray(row_km2, dtype=np.float64)
    rows = (len(row_km2) // factor) * factor
    return np.asarray(row_km2[:rows], dtype=np.float64).reshape(-1, factor).sum(axis=1) * factor


def estimate_notes(estimate: AreaEstimate, labels: Sequence[str], *, sample_kind: str) -> list[str]:
    """What the reader must know about an estimate: the sampling assumption, unsampled and thin strata."""
    notes = [
        f"The error-adjusted areas assume the {sample_kind} is a stratified random (or simple random) sample of the "
        "map's classes (Olofsson et al. 2014). A sample that is not (polygons drawn where a class is easy to "
        "recognise, a reference covering part of the map) gives biased estimates and intervals that are too narrow."
    ]
    if estimate.unsampled:
        names = ", ".join(labels[i] for i in estimate.unsampled)
        notes.append(
            f"Map classes without any sample unit ({names}; {1 - estimate.sampled_share:.1%} of the mapped area) "
            "cannot be corrected: their area is left out of the error-adjusted estimates."
        )
    if estimate.single:
        names = ", ".join(labels[i] for i in estimate.single)
        notes.append(
            f"Map classes with a single sample unit ({names}) give no variance: the intervals leave their "
            "uncertainty out and are too narrow. Sample at least 2 (better 50) units per class."
        )
    return notes


def grid_row_km2(dataset: gdal.Dataset) -> np.ndarray | None:
    """dataset_row_km2, or None for a grid without CRS (an assessment then reports no areas rather than failing)."""
    try:
        return dataset_row_km2(dataset)
    except EngineError:
        return None


def assessment_areas(map_indices: np.ndarray, row_km2: np.ndarray | None, confusion: np.ndarray) -> AreaEstimate | None:
    """The estimate of an assessment: map_indices are the map's classes 1..k on the scoring grid (0: none), wherever
    the map has data (the strata); confusion is core.scores's (reference in rows, map in columns) over the sample."""
    if row_km2 is None:
        return None
    k = confusion.shape[0]
    mapped = class_areas_km2(map_indices, row_km2, k)
    if mapped.sum() <= 0 or confusion.sum() == 0:
        return None
    return stratified_estimate(mapped, confusion.T)


def settlement_indices(blocks: np.ndarray, threshold: float) -> np.ndarray:
    """A density map's classes on its (block) grid: 1 not settlement, 2 settlement (>= threshold), 0 no data."""
    return np.where(np.isfinite(blocks), (blocks >= threshold).astype(np.int64) + 1, 0)
