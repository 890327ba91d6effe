"""End-to-end: the tiny config through Snakemake, reruns, lint and config validation."""

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from spinexai.config import ConfigError, validate_config

pytestmark = pytest.mark.xdist_group("pipeline")  # the tests share one pipeline run

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
DISSECTION = {"select_cases", "dissect", "explain_concepts", "summarise_dissection", "case_overlays"}
# Jobs at or after the select_cases checkpoint: a dry run lists them only as far as the checkpoint's
# current output lets Snakemake see, so they may or may not appear.
AROUND_CHECKPOINT = {"select_cases", "explain_concepts", "case_overlays"}
CLASSIFIER = {"train_classifier_3d", "evaluate_classifier_3d", "summarise_classifier_3d"} | DISSECTION
KEYPOINTS = {"train_keypoints", "evaluate_keypoints", "summarise_keypoints"}
PROTOTYPES = {"train_prototypes", "evaluate_prototypes", "summarise_prototypes", "reader_kit"}
COUNTERFACTUAL = {"train_inpainter", "evaluate_inpainter", "train_attribution", "evaluate_attribution",
                  "summarise_counterfactual"}
BENCHMARK = {"benchmark_fold", "summarise_benchmark"}
PROTOTYPES_TEST = ("prototypes: {input_size: 32, width: 2, proto_dim: 8, warmup_epochs: 1, joint_epochs: 1, pushes: 1, "
                   "last_layer_epochs: 1, baseline_epochs: 1, batch_size: 16%s}")


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, "--cores", "2", "--configfile", "config/test.yaml", *args],
                          cwd=workdir, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def workdir(tiny_pipeline) -> Path:
    return tiny_pipeline  # one run per session (tests/conftest.py), shared with test_study.py


@pytest.mark.slow
def test_tiny_config_runs_to_the_end(workdir):
    patches = pd.read_parquet(workdir / "results/data/patches.parquet")
    folds = pd.read_parquet(workdir / "results/data/folds.parquet")
    assert (patches.status == "included").sum() > 20
    assert set(folds.subject) == set(patches[patches.status == "included"].subject)
    exclusions = pd.read_parquet(workdir / "results/data/exclusions.parquet")
    assert (exclusions.reason != "").all()
    assert (workdir / "logs/ingest.log").read_text()
    table = pd.read_parquet(workdir / "results/classifier3d/table1.parquet")
    assert set(table.metric) >= {"f1", "accuracy", "auc", "ap"} and set(table.split) == {"val", "test"}
    assert (workdir / "results/classifier3d/curves.png").stat().st_size > 1000
    history = pd.read_parquet(workdir / "results/classifier3d/fold0/history.parquet")
    assert len(history) == 2 and history.train_loss.notna().all()
    heights = pd.read_parquet(workdir / "results/morphometry/heights.parquet")
    measured = heights[heights.status == "measured"]
    assert len(measured) > 20 and measured.point_error_mm.mean() < 2.0
    table = pd.read_parquet(workdir / "results/morphometry/keypoints/table.parquet")
    assert set(table.task) == {"fracture", "moderate"} and set(table.arm) == {"all"}
    assert (workdir / "results/morphometry/keypoints/decision_border.png").stat().st_size > 1000
    predictions = pd.read_parquet(workdir / "results/morphometry/keypoints/predictions.parquet")
    assert predictions.p_fracture.between(0, 1).all() and (predictions.interval_mm > 0).all()


@pytest.mark.slow
def test_prototype_outputs(workdir):
    proto = workdir / "results/prototypes"
    tables = pd.read_parquet(proto / "tables.parquet")
    assert {"1: held-out test", "2: cross-validation"} <= set(tables.paper_table)
    assert set(tables.arm) == {"protoverse", "protopnet", "baseline"} and (tables.folds == 2).all()
    metrics = pd.read_parquet(proto / "metrics_by_fold.parquet")
    assert metrics[["class_accuracy", "class_f1", "sample_accuracy"]].stack().between(0, 1).all()
    assert len(pd.read_parquet(proto / "wilcoxon.parquet")) == 2 * 2 * 3  # splits x other arms x metrics
    projection = pd.read_parquet(proto / "protoverse/fold0/projection.parquet")
    assert len(projection) == 9 and (projection.distance < 1e-4).all()  # every prototype is a training patch
    predictions = pd.read_parquet(proto / "predictions.parquet")
    probabilities = predictions[["p_grade0", "p_grade2", "p_grade3"]].sum(axis=1)
    assert ((probabilities - 1).abs() < 1e-4).all() and predictions.p_grade1.isna().all()
    top = pd.read_parquet(proto / "protoverse/fold0/top3.parquet")
    assert top.groupby(["subject", "label"])["rank"].apply(lambda r: sorted(r) == [1, 2, 3]).all()
    assert (proto / "cosine.png").stat().st_size > 1000 and (proto / "protoverse/fold0/gallery.png").stat().st_size > 1000
    kit = proto / "reader_kit"
    cases = pd.read_csv(kit / "cases.csv")
    assert set(cases.grade) <= {2, 3}
    form = pd.read_csv(kit / "forms/rater1.csv")
    assert len(form) == 3 * len(cases) and "grade" not in form.columns
    for case in cases.case:
        assert (kit / f"{case}.html").exists() and (kit / f"{case}.png").stat().st_size > 1000


@pytest.mark.slow
def test_counterfactual_outputs(workdir):
    cf = workdir / "results/counterfactual"
    domain = pd.read_parquet(cf / "domain_summary.parquet")
    assert list(domain.condition) == ["original", "healthy_tissue", "fracture_region", "fracture_region_wide",
                                      "vertebral_body"]
    assert domain.set_index("condition").loc["healthy_tissue", "runs"] == 2  # repetitions of fold 0
    table1 = pd.read_parquet(cf / "table1.parquet")
    methods = {"ours"} | {f"{m}_p{q}" for m in ("gradcam", "saliency") for q in (50, 75, 90)}
    assert set(table1.method) == methods and set(table1.target) == {"fracture"}
    localisation = pd.read_parquet(cf / "fold0/localisation.parquet")
    assert (localisation.grade > 0).all() and localisation.area_ratio.ge(0).all()
    wilcoxon = pd.read_parquet(cf / "wilcoxon.parquet")
    assert set(wilcoxon.method) == methods - {"ours"} and set(wilcoxon.metric) == {"hausdorff_mm", "weak_localisation",
                                                                                   "area_ratio"}
    assert set(pd.read_parquet(cf / "sanity_summary.parquet").method) == {"ours", "gradcam", "saliency"}
    timing = pd.read_parquet(cf / "timing.parquet")
    assert (timing.maps_per_second > 0).all() and len(timing) == 4
    effects = pd.read_parquet(cf / "fold0/effects.parquet")
    assert effects[["p_original", "p_counterfactual"]].stack().between(0, 1).all()
    assert not (cf / "fold1").exists()  # counterfactual.folds: [0]
    assert (cf / "fold0/gallery.png").stat().st_size > 1000 and (cf / "domain_roc.png").stat().st_size > 1000
    report = (workdir / "results/report/index.html").read_text()
    assert "Counterfactual impact analysis" in report and "domain_roc.png" in report


def test_counterfactual_folds_must_exist(workdir):
    (workdir / "badfold.yaml").write_text("counterfactual: {folds: [7]}\n")
    dry = subprocess.run([*SNAKEMAKE, "-n", "--configfile", "config/test.yaml", "badfold.yaml"], cwd=workdir,
                         capture_output=True, text=True, timeout=600)
    assert dry.returncode != 0 and "config key 'counterfactual.folds': [7] are not folds" in dry.stdout + dry.stderr


def test_editing_one_arm_reruns_only_that_arm(workdir):
    (workdir / "arm.yaml").write_text("prototypes: {arms: {protoverse: {}, protopnet: {diversity: 0.0, cluster: 0.5}, "
                                      "baseline: {model: baseline}}}\n")
    dry = subprocess.run([*SNAKEMAKE, "-n", "--configfile", "config/test.yaml", "arm.yaml"], cwd=workdir,
                         capture_output=True, text=True, timeout=600)
    assert dry.returncode == 0, dry.stderr[-2000:]
    text = dry.stdout + dry.stderr
    assert "arm=protopnet" in text and "arm=protoverse" not in text and "arm=baseline" not in text


@pytest.mark.slow
def test_dissection_outputs(workdir):
    dis = workdir / "results/dissection"
    ranking = pd.read_parquet(dis / "fold0/unit_ranking.parquet")
    assert len(ranking) == 32 and ranking.rank_positive.is_unique  # width 2: 16 x 2 units
    exports = pd.read_parquet(dis / "fold0/units/exports.parquet")
    for file in exports.file:
        assert (dis / "fold0/units" / file).stat().st_size > 100
    cases = pd.read_parquet(workdir / "results/cases.parquet")
    assert len(cases) and set(cases.outcome) <= {"TP", "FP", "FN"}
    first = cases.iloc[0]
    case = dis / f"fold{first.fold}/cases/sub-{first.subject}_vert-{first.label}"
    assert (case / "concepts.png").stat().st_size > 1000
    assert pd.read_parquet(case / "relevance.parquet")["rank"].tolist() == list(range(1, 33))
    assert (dis / "concepts.png").exists() and len(pd.read_parquet(dis / "top_units.parquet"))
    import nibabel as nib
    import numpy as np

    manifest = pd.read_parquet(workdir / "results/data/manifest.parquet")
    ct = nib.load(workdir / manifest[manifest.subject == first.subject].ct_path.iloc[0])
    for name in ("units_ct.nii.gz", "gradcam3d_ct.nii.gz"):  # the case's 3D maps on the source CT's grid
        overlay = nib.load(case / name)
        assert overlay.shape == ct.shape and np.allclose(overlay.affine, ct.affine, atol=1e-4)
        assert np.asarray(overlay.dataobj).max() > 0
    for c in cases.itertuples():  # every case's 2D maps on the CT grid (or why there is none)
        folder = workdir / f"results/cases/fold{c.fold}/sub-{c.subject}_vert-{c.label}"
        index = pd.read_parquet(folder / "overlays.parquet")
        assert set(index.method) == {"prototype1", "prototype2", "prototype3", "counterfactual", "gradcam", "gradcam_pp",
                                     "xgradcam", "saliency"}
        assert ((index.file != "") | (index.note != "")).all()
        cf_fold = c.fold == 0  # config/test.yaml: counterfactual.folds [0]
        assert (index.set_index("method").loc["counterfactual", "file"] != "") == (cf_fold and c.grade != 1)
        ct_c = nib.load(workdir / manifest[manifest.subject == c.subject].ct_path.iloc[0])
        for file in index.file[index.file != ""]:
            img = nib.load(folder / file)
            assert img.shape == ct_c.shape and np.allclose(img.affine, ct_c.affine, atol=1e-4)


@pytest.mark.slow
def test_dissection_volumes_overlay_the_source_ct(workdir):
    """The exported CT on the classifier's input grid samples the same anatomy as the source scan."""
    import nibabel as nib
    import numpy as np

    units = workdir / "results/dissection/fold0/units"
    exports = pd.read_parquet(units / "exports.parquet")
    row = exports[exports.kind == "ct"].iloc[0]
    img = nib.load(units / row.file)
    manifest = pd.read_parquet(workdir / "results/data/manifest.parquet")
    source = manifest[(manifest.subject == row.subject) & (manifest.label == row.label)].iloc[0].ct_path
    ct = nib.load(workdir / source)  # paths in the tables are relative to the working directory
    # world -> source voxel for every exported voxel centre; compare HU where the 2 mm voxel is inside
    ijk = np.stack(np.meshgrid(*[np.arange(n) for n in img.shape], indexing="ij"), -1).reshape(-1, 3)
    world = nib.affines.apply_affine(img.affine, ijk)
    src = np.rint(nib.affines.apply_affine(np.linalg.inv(ct.affine), world)).astype(int)
    inside = np.all((src >= 0) & (src < ct.shape), axis=1)
    exported = np.asarray(img.dataobj).reshape(-1)[inside]
    original = np.clip(np.asarray(ct.dataobj)[tuple(src[inside].T)], -1000, 1000)
    assert inside.mean() > 0.5 and np.corrcoef(exported, original)[0, 1] > 0.8


@pytest.mark.slow
def test_rerun_is_a_no_op(workdir):
    dry = _snakemake(workdir, "-n")
    assert dry.returncode == 0 and "Nothing to be done" in dry.stdout + dry.stderr


@pytest.mark.slow
@pytest.mark.parametrize("setting, expected", [
    ("folds: {n_folds: 2, test_fraction: 0.25, seed: 3}",
     {"split_folds"} | CLASSIFIER | KEYPOINTS | PROTOTYPES | COUNTERFACTUAL | BENCHMARK),
    ("classifier3d: {crop: 32, input_size: 16, width: 2, epochs: 3, patience: 2, batch_size: 16}", CLASSIFIER | BENCHMARK),
    ("keypoints: {input_size: 32, width: 2, epochs: 3, patience: 2, batch_size: 16, samples: 4}", KEYPOINTS),
    ("reformat: {patch_size: 64, sagittal_size: 128, min_fov_fraction: 0.5}",
     {"reformat_subject", "collect_patches", "split_folds", "measure_morphometry"} | CLASSIFIER | KEYPOINTS | PROTOTYPES
     | COUNTERFACTUAL | BENCHMARK),
    # ingest is a checkpoint: a dry run lists the jobs after it only once it has run again.
    ("data: {fracture_min_grade: 2}",
     {"ingest", "collect_patches", "split_folds", "measure_morphometry"} | CLASSIFIER | KEYPOINTS | PROTOTYPES
     | COUNTERFACTUAL | BENCHMARK),
    # the baseline arm is the explained one
    (PROTOTYPES_TEST % ", shift: 0.1", PROTOTYPES | COUNTERFACTUAL | BENCHMARK | {"case_overlays"}),
    ("counterfactual: {threshold: 0.6}", {"train_attribution", "evaluate_attribution", "summarise_counterfactual",
                                          "case_overlays"} | BENCHMARK),
    ("benchmark: {ig_steps: 8}", BENCHMARK),
    ("benchmark: {gallery_method_columns: 4}", {"summarise_benchmark"}),
    ("counterfactual: {repetitions: 3}", {"evaluate_inpainter", "summarise_counterfactual"}),
    (PROTOTYPES_TEST % ", main_arm: protopnet", {"summarise_prototypes", "reader_kit", "case_overlays"}),
])
def test_changing_a_setting_reruns_only_what_it_touches(workdir, setting, expected):
    (workdir / "override.yaml").write_text(setting + "\n")
    dry = subprocess.run([*SNAKEMAKE, "-n", "--configfile", "config/test.yaml", "override.yaml"],
                         cwd=workdir, capture_output=True, text=True, timeout=600)
    assert dry.returncode == 0, dry.stderr[-2000:]
    text = dry.stdout + dry.stderr
    table = text[text.index("Job stats:"):text.index("\ntotal")].splitlines()[3:]
    jobs = {line.split()[0] for line in table if line.strip()} - {"all"}
    expected = expected | {"report"}  # the report shows the whole config
    assert jobs <= expected and jobs - AROUND_CHECKPOINT == expected - AROUND_CHECKPOINT, text[-3000:]


def test_lint_is_clean():
    run = subprocess.run([*SNAKEMAKE, "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "Congratulations" in run.stdout + run.stderr, run.stdout + run.stderr


def test_slurm_profile_dry_run():
    run = subprocess.run([*SNAKEMAKE, "--profile", "profiles/slurm", "-n", "--configfile", "config/test.yaml"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]


def test_bad_config_key_is_named():
    with pytest.raises(ConfigError, match="config key 'synthetic.n_subjects'"):
        validate_config({"synthetic": {"n_subjects": 0}}, REPO / "config/schema.yaml")
    with pytest.raises(ConfigError, match="folds.*'n_fold' was unexpected"):
        validate_config({"folds": {"n_fold": 3}}, REPO / "config/schema.yaml")


def test_defaults_are_filled():
    config = validate_config({}, REPO / "config/schema.yaml")
    assert config["reformat"]["patch_size"] == 96 and config["folds"]["n_folds"] == 5


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium on this machine: `bash scripts/setup_tests.sh` installs Debian's chromium (as root)")


# The report loads images lazily: make every image load now, wait for each, and list those that failed.
LOAD_ALL_IMAGES = """async () => {
    const images = Array.from(document.images);
    images.forEach(i => { i.loading = 'eager'; });
    await Promise.all(images.map(i => i.complete ? null : new Promise(done => { i.onload = done; i.onerror = done; })));
    return images.filter(i => i.naturalWidth === 0).map(i => i.getAttribute('src'));
}"""


def _link_target(page: Path, href: str) -> Path | None:
    """The file a relative link points to (None for in-page anchors)."""
    if href.startswith("#"):
        return None
    return (page.parent / href.split("#")[0]).resolve()


@pytest.mark.slow
def test_report_renders_in_chromium(workdir):
    from playwright.sync_api import sync_playwright

    report = workdir / "results/report"
    pages = [report / "index.html", *sorted((report / "cases").glob("*.html"))]
    assert len(pages) > 1
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            broken = page.evaluate(LOAD_ALL_IMAGES)
            assert not broken, f"{path.name}: images that did not load: {broken}"
            hrefs = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
            for href in hrefs:
                target = _link_target(path, href)
                if target is None:
                    assert page.locator(href).count() == 1, f"{path.name}: anchor {href} has no target"
                else:
                    assert target.exists(), f"{path.name}: link {href} leads nowhere"
            headings = page.locator("h2").all_inner_texts()
            if path.name == "index.html":
                assert headings[:4] == ["Dataset", "3D fracture classifier (Engstler et al. 2022)",
                                        "Network dissection (Engstler et al. 2022)", "Cases"]
                assert "Genant morphometry" in headings and "Config and versions" in headings
                assert "ProtoVerse prototypes (Sinhamahapatra et al. 2024)" in headings
                page.screenshot(path=str(report / "screenshot.png"), full_page=True)
            else:
                assert {"Images", "Predictions of every model", "Most relevant concept units (network dissection)",
                        "Genant morphometry", "Top-3 prototypes (ProtoVerse)", "Ground truth"} <= set(headings)
                assert "p(fracture)" in page.locator(".verdict").inner_text()
        # Two clicks from the index to why a vertebra was called fractured: Cases -> the case page.
        page.goto(pages[0].as_uri())
        page.locator("#cases a").first.click()
        page.wait_for_load_state("load")
        assert "called" in page.locator(".verdict").inner_text()
        assert page.locator("#concepts img").count() == 1
        browser.close()
    assert (report / "screenshot.png").stat().st_size > 10_000


# WebGL2 without a GPU: Chromium's software renderer (SwiftShader through ANGLE)
WEBGL_ARGS = ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def _canvas(locator) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB")).astype(int)


@pytest.mark.slow
def test_case_viewer_shows_the_ct_and_the_overlay_in_chromium(workdir):
    """The embedded NiiVue viewer starts from the file system, fetches nothing, and its overlay is visible
    at the vertebra (the views open on the vertebra's centre): hiding the map changes the picture."""
    from playwright.sync_api import sync_playwright

    pages = sorted((workdir / "results/report/cases").glob("*.html"))
    assert pages and all("spinexai-viewer" in p.read_text() for p in pages)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=WEBGL_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        problems = []
        page.on("pageerror", lambda err: problems.append(str(err)))
        page.on("request", lambda r: problems.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
        page.goto(pages[0].as_uri())
        page.wait_for_function("document.querySelector('.spinexai-viewer').dataset.ready", timeout=60_000)
        viewer = page.locator(".spinexai-viewer")
        assert viewer.get_attribute("data-ready") not in ("error", "0"), page.inner_text(".viewer-status")
        canvas = viewer.locator("canvas")
        canvas.scroll_into_view_if_needed()
        shown = _canvas(canvas)
        page.eval_on_selector(".spinexai-viewer", "e => { e.querySelector('input[type=range]').value = 0; e.viewer.choose(); }")
        page.wait_for_timeout(300)
        hidden = _canvas(canvas)
        browser.close()
    assert not problems, problems
    assert (hidden.std(-1) > 0).mean() < 0.05 and hidden.max() > 100, "the CT (grey) is drawn"
    changed = np.abs(shown - hidden).sum(-1) > 30
    assert changed.sum() > 200, f"the map changes only {changed.sum()} pixels"
    warm = shown[changed]
    assert (warm[:, 0] > warm[:, 2]).mean() > 0.8, "the changed pixels are the map's warm colours"


@pytest.mark.slow
def test_report_names_the_config_files_in_force(workdir):
    report = (workdir / "results/report/index.html").read_text()
    assert "Config files in force" in report
    assert "config in force: " in report and "--configfile " in report and "config/test.yaml" in report


def test_report_states_what_did_not_run(workdir, tmp_path):
    """A stage without outputs gets an empty state, not a broken link."""
    from spinexai.report.build import Report, ReportInputs

    results = workdir / "results"
    inputs = ReportInputs(results=results, config={"dataset": {"kind": "synthetic"}},
                          manifest=results / "data/manifest.parquet", patches=results / "data/patches.parquet")
    index = Report(inputs, tmp_path / "report").write()[0]
    text = index.read_text()
    assert "The 3D classifier has not run" in text and "Network dissection has not run" in text
    assert "Morphometry has not run" in text and "The prototype stage has not run" in text and "<img" not in text


@pytest.mark.slow
def test_snakemake_report(workdir):
    run = _snakemake(workdir, "--report", "snakemake_report.zip")
    assert run.returncode == 0, run.stderr[-3000:]
    assert (workdir / "snakemake_report.zip").stat().st_size > 10_000


@pytest.mark.slow
def test_benchmark_outputs(workdir):
    bench = workdir / "results/benchmark"
    scores = pd.read_parquet(bench / "explanations.parquet")
    assert len(scores) and set(scores.group) <= {"G1", "G2-G3"} and (scores.grade >= 1).all()
    methods_2d = {"gradcam", "gradcam_pp", "xgradcam", "saliency", "integrated_gradients", "occlusion",
                  "protoverse_top1", "protoverse_top3", "protopnet_top1", "protopnet_top3", "centre_prior", "random"}
    assert set(scores[scores.grid == "2d"].method) == methods_2d | {"counterfactual"}
    assert set(scores[scores.grid == "3d"].method) == {"gradcam_3d", "dissection", "centre_prior", "random"}
    assert not (scores[scores.method == "counterfactual"].fold != 0).any()  # counterfactual.folds: [0]
    for grid, group in scores.groupby("grid"):  # the reference maps score every vertebra that any method scores
        vertebrae = set(map(tuple, group[["fold", "subject", "label"]].to_numpy()))
        for reference in ("centre_prior", "random"):
            rows = group[group.method == reference]
            assert set(map(tuple, rows[["fold", "subject", "label"]].to_numpy())) == vertebrae, (grid, reference)
    assert scores.pointing.isin([0, 1]).all() and scores[["energy", "topk_iou"]].stack().between(0, 1).all()
    summary = pd.read_parquet(bench / "summary.parquet")
    assert set(summary.metric) == {"pointing", "energy", "topk_iou", "hausdorff_mm", "auc"}
    assert set(summary.verdict) <= {"reference", "beats the centre prior", "does not beat the centre prior"}
    assert (summary[summary.method != "centre_prior"].vs_prior_pairs > 0).all()
    for fold in (0, 1):
        for grid, size in (("2d", 32), ("3d", 16)):
            with np.load(bench / f"maps/fold{fold}_{grid}.npz") as maps:
                n = len(maps["subject"])
                assert int(maps["fold"]) == fold and len(maps["spacing"]) == int(grid[0]) and n == len(maps["label"])
                for method in maps["methods"]:
                    assert maps[f"map_{method}"].shape == (n, *(size,) * int(grid[0])), (grid, method)
    assert (bench / "distributions.png").stat().st_size > 1000 and (bench / "gallery.png").stat().st_size > 1000
    report = (workdir / "results/report/index.html").read_text()
    assert "Explanation benchmark" in report and "gallery.png" in report
