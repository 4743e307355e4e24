"""training.distill.report renders the documents' tables from a run's files (synthetic run folder)."""

from __future__ import annotations

import json

from training.distill.report import report


def test_report_renders_every_figure_from_the_run_files(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "eval").mkdir()
    (tmp_path / "train" / "ablation.csv").write_text(
        "preset,lcz_oa,lcz_kappa,lcz_wa,hse_mae_percent,hse_kappa\n"
        "mtl_learned_cbam_p2f,0.5123,0.4321,0.8,12.34,0.7\nstl_lcz,0.5,0.4,0.79,-,-\n")
    hse_date = {"mean_hse_water": 0.02, "water_pixels": 100, "mean_hse_dense_lcz_1_3": 0.6,
                "corr_100m_with_derived_fraction": 0.9, "mae_percent_vs_pseudo_label": 11.0}
    results = {"cities": {"hongkong": {
        "dates": {"20180323": {
            "teacher": {"hk_test_samples": {"n": 716, "oa": 0.479, "kappa": 0.314}},
            "mtl_learned_cbam_p2f": {"agreement_with_teacher": {"n": 3765, "oa": 0.6, "kappa": 0.55},
                                     "hk_test_samples": {"n": 716, "oa": 0.352, "kappa": 0.2126},
                                     "hk_prd_map": {"n": 9, "oa": 0.36, "kappa": 0.297, "wa": 0.73},
                                     "hse_means_hk_prd_map": {"built": 0.61, "natural": 0.2, "water": 0.03}}}},
        "hse": {"mtl_learned_cbam_p2f": {"20180323": hse_date, "student_mean_abs_dhse_unchanged": 0.05,
                                         "student_mean_abs_dhse_changed": 0.09,
                                         "pseudo_label_mean_abs_dhse_unchanged": 0.015,
                                         "pseudo_label_mean_abs_dhse_changed": 0.11, "unchanged_share": 0.84}}}}}
    (tmp_path / "eval" / "results.json").write_text(json.dumps(results))
    text = report(tmp_path)
    assert "| MTL learned weights, CBAM + P2F (exported) | 0.512 | 0.432 | 0.800 | 12.3 | 0.700 |" in text
    assert "| single-task LCZ (CBAM) | 0.500 | 0.400 | 0.790 | - | - |" in text
    assert "| hongkong | 20180323 | teacher | - | 0.479 / 0.314 | - | - |" in text
    assert ("| hongkong | 20180323 | mtl_learned_cbam_p2f | 0.600 / 0.550 | 0.352 / 0.213 | 0.360 / 0.297 / 0.730 "
            "| - |") in text
    assert "| 0.020 (100 px) | 0.600 | 0.900 | 11.0 | hk_prd_map: 0.61 / 0.20 / 0.03 |" in text
    assert "| hongkong | mtl_learned_cbam_p2f | 0.050 / 0.015 | 0.090 / 0.110 | 0.840 |" in text


def test_measures_undefined_on_a_scene_render_as_dashes(tmp_path):
    """An area without water pixels (lasvegas) has null water figures in results.json: '-' in the tables."""
    (tmp_path / "train").mkdir()
    (tmp_path / "eval").mkdir()
    (tmp_path / "train" / "ablation.csv").write_text("preset,lcz_oa\nmtl_learned_cbam_p2f,0.5\n")
    hse_date = {"mean_hse_water": None, "water_pixels": 0, "mean_hse_dense_lcz_1_3": None,
                "corr_100m_with_derived_fraction": 0.8, "mae_percent_vs_pseudo_label": 9.0}
    results = {"cities": {"lasvegas": {
        "dates": {"20150820": {"mtl_learned_cbam_p2f": {"agreement_with_teacher": {"n": 9, "oa": 0.5, "kappa": 0.4}}}},
        "hse": {"mtl_learned_cbam_p2f": {"20150820": hse_date, "student_mean_abs_dhse_unchanged": 0.04,
                                         "student_mean_abs_dhse_changed": None,
                                         "pseudo_label_mean_abs_dhse_unchanged": 0.01,
                                         "pseudo_label_mean_abs_dhse_changed": None, "unchanged_share": 1.0}}}}}
    (tmp_path / "eval" / "results.json").write_text(json.dumps(results))
    text = report(tmp_path)
    assert "| lasvegas | mtl_learned_cbam_p2f | 20150820 | - (0 px) | - | 0.800 | 9.0 | - |" in text
    assert "| lasvegas | mtl_learned_cbam_p2f | 0.040 / 0.010 | - / - | 1.000 |" in text
