# Config validation, paths and target lists shared by all rule files.

import os
import shutil

import pandas as pd

from spinexai.prototypes.params import resolved_arm
from spinexai.counterfactual.params import stage_section

from snakemake.logging import logger

from spinexai import paths
from spinexai.config import explanation_grids, validate_config
from spinexai.predict.trained import TrainedRun


def configs_in_force() -> tuple[str, bool]:
    """(one line naming the config files in force, in the order applied; whether config/config.yaml was found)."""
    given = [os.path.abspath(f) for f in workflow.overwrite_configfiles]
    base = [os.path.abspath(f) for f in workflow.configfiles if os.path.abspath(f) not in given]
    parts = [base[0] if base else f"no {os.path.abspath(BASE_CONFIG)} (schema defaults)"]
    parts += [f"--configfile {f}" for f in given]
    overrides = sorted(set(workflow.config_settings.config))
    if overrides:
        parts.append("--config " + " ".join(overrides))
    return "config in force: " + ", then ".join(parts) + "; schema defaults for the rest", bool(base)


CONFIG_IN_FORCE, _base_found = configs_in_force()
if _base_found or any(os.path.basename(f) == os.path.basename(BASE_CONFIG) for f in workflow.overwrite_configfiles):
    logger.info(CONFIG_IN_FORCE)
else:
    logger.warning(f"warning: {BASE_CONFIG} not found in {os.getcwd()} (snakemake --directory?); {CONFIG_IN_FORCE}")


validate_config(config, workflow.source_path("../config/schema.yaml"))
for _warning in explanation_grids(config):
    logger.warning(f"warning: {_warning}")

RESULTS, DATA, SYNTH = paths.RESULTS, paths.DATA, paths.SYNTH


FOLD_IDS = list(range(config["folds"]["n_folds"]))


def cuda_visible() -> bool:
    """Whether this machine shows an NVIDIA GPU, without importing torch (seconds per invocation)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):
        return False
    return shutil.which("nvidia-smi") is not None  # installed with the NVIDIA driver


def gpu_slots(wildcards) -> int:
    """`gpu` slots claimed by each GPU job. One, so that the local profile's gpu=1 lets GPU jobs take
    turns on the device and the SLURM plugin asks for a GPU; none in a local run on a machine without a
    GPU, where that limit would only serialise CPU jobs. Evaluated per job, once the executor is known;
    a dry run shows the claim of a GPU machine."""
    return 1 if workflow.non_local_exec or workflow.dryrun or CUDA_VISIBLE else 0


CUDA_VISIBLE = cuda_visible()


def device_threads(wildcards) -> int:
    """Threads of a GPU rule's job: 2 on a GPU (data and augmentation keep one busy), 1 in a local run
    without a GPU, where two single-threaded jobs side by side beat one job on both cores (OpenMP threads
    spin against every other process; bench/threads.py measures it)."""
    return 2 if workflow.non_local_exec or CUDA_VISIBLE else 1


wildcard_constraints:
    subject="[A-Za-z0-9]+",
    fold=r"\d+",


def dataset_root():
    if config["dataset"]["kind"] == "synthetic":
        return SYNTH
    return config["dataset"]["root"]


def synthetic_subjects():
    return [f"synth{n:03d}" for n in range(config["synthetic"]["n_subjects"])]


def synthetic_params():
    """Everything that shapes a subject's content (the cohort size does not)."""
    return {k: v for k, v in config["synthetic"].items() if k != "n_subjects"}


def ingest_inputs(wildcards):
    if config["dataset"]["kind"] != "synthetic":
        return []
    files = expand(f"{SYNTH}/rawdata/sub-{{s}}/sub-{{s}}_ct.nii.gz", s=synthetic_subjects())
    files += expand(f"{SYNTH}/derivatives/sub-{{s}}/sub-{{s}}_morphometry.json", s=synthetic_subjects())
    return files + [f"{SYNTH}/fracture_grading.csv", f"{SYNTH}/fracture_morphology.csv"]


def reformatted_subjects():
    """Subjects with at least one included vertebra (known once ingest has run)."""
    manifest = pd.read_parquet(checkpoints.ingest.get().output.manifest)
    return sorted(manifest.loc[manifest["status"] == "included", "subject"].unique())


def reformat_indexes(wildcards):
    return expand(f"{DATA}/reformat/sub-{{subject}}/index.parquet", subject=reformatted_subjects())


def reformat_splines(wildcards):
    return expand(f"{DATA}/reformat/sub-{{subject}}/spline.parquet", subject=reformatted_subjects())


def selected_cases():
    """The cases table (known once select_cases has run)."""
    return pd.read_parquet(checkpoints.select_cases.get().output.cases)


def case_overlay_tables(wildcards):
    return [f"{paths.CASE_DIR.format(fold=c.fold, subject=c.subject, label=c.label)}/overlays.parquet"
            for c in selected_cases().itertuples()]


def case_overlay_inputs(wildcards):
    """The saved 2D maps of a case's fold: the main prototype arm's and, where explained, the counterfactual's."""
    fold = wildcards.fold
    inputs = {"manifest": paths.MANIFEST, "patches": paths.PATCHES}
    if (config["prototypes"]["arms"].get(PROTO_MAIN) or {}).get("model", "protoverse") == "protoverse":
        inputs.update(similarity=f"{PROTO}/{PROTO_MAIN}/fold{fold}/similarity.npz",
                      top3=f"{PROTO}/{PROTO_MAIN}/fold{fold}/top3.parquet")
    if int(fold) in CF_FOLDS:
        inputs["counterfactual"] = f"{CF}/fold{fold}/maps.npz"
    return inputs


def explained_cases(wildcards):
    cases = selected_cases()
    return [f"{paths.CASE_RELEVANCE_DIR.format(fold=c.fold, subject=c.subject, label=c.label)}/relevance.parquet"
            for c in cases.itertuples()]


# ProtoVerse paths (rules/prototypes.smk)
PROTO = paths.PROTOTYPES
PROTO_ARMS = list(config["prototypes"]["arms"])
PROTO_MAIN = config["prototypes"]["main_arm"]
PROTO_FOLD = f"{PROTO}/{{arm}}/fold{{fold}}"


def proto_arm_params(wildcards):
    """The section as this arm trains with it, so editing one arm reruns only that arm."""
    return resolved_arm(config["prototypes"], wildcards.arm)


def proto_init_model(wildcards):
    """The same fold's model of the arm named by prototypes.init_from, for a prototype arm; else none."""
    arm = resolved_arm(config["prototypes"], wildcards.arm)
    if arm["model"] != "protoverse" or not arm.get("init_from"):
        return []
    return f"{PROTO}/{arm['init_from']}/fold{wildcards.fold}/model.pt"


def proto_fold_files(name, arms=PROTO_ARMS):
    return expand(f"{PROTO}/{{arm}}/fold{{fold}}/{name}", arm=arms, fold=FOLD_IDS)


CF = paths.COUNTERFACTUAL
CF_FOLD = f"{CF}/fold{{fold}}"
CF_FOLDS = list(config["counterfactual"]["folds"]) or FOLD_IDS
if set(CF_FOLDS) - set(FOLD_IDS):
    raise ValueError(f"config key 'counterfactual.folds': {sorted(set(CF_FOLDS) - set(FOLD_IDS))} are not folds "
                     f"(folds.n_folds = {len(FOLD_IDS)})")


def cf_params(stage):
    """The counterfactual settings one rule reads (see spinexai.counterfactual.params.STAGE_KEYS)."""
    return stage_section(config["counterfactual"], stage)


def cf_classifier_params(wildcards):
    """The explained 2D classifier's settings: the prototypes arm named by counterfactual.classifier_arm."""
    return resolved_arm(config["prototypes"], config["counterfactual"]["classifier_arm"])


def cf_classifier(wildcards):
    arm = config["counterfactual"]["classifier_arm"]
    return f"{PROTO}/{arm}/fold{wildcards.fold}/model.pt"


def cf_fold_files(name):
    return expand(f"{CF}/fold{{fold}}/{name}", fold=CF_FOLDS)


BENCH = paths.BENCHMARK
BENCH_FIGURE_KEYS = ("gallery_method_columns",)  # read only by summarise_benchmark
BENCH_ARMS = {"protoverse": config["benchmark"]["protoverse_arm"], "protopnet": config["benchmark"]["protopnet_arm"]}


def benchmark_arms():
    """Method prefix -> prototypes arm: the explained baseline, and ProtoVerse / ProtoPNet where the config has them."""
    arms = {"baseline": config["counterfactual"]["classifier_arm"]}
    arms.update({name: arm for name, arm in BENCH_ARMS.items() if arm in PROTO_ARMS})
    return arms


def benchmark_arm_params(wildcards):
    return {name: resolved_arm(config["prototypes"], arm) for name, arm in benchmark_arms().items()}


def benchmark_fold_inputs(wildcards):
    """One fold's models: the 3D classifier and its dissection thresholds, the 2D arms and, where the fold
    was explained, the counterfactual attribution network."""
    fold = wildcards.fold
    inputs = {"patches": paths.PATCHES, "folds": paths.FOLDS,
              "classifier": f"{paths.CLASSIFIER3D}/fold{fold}/model.pt",
              "thresholds": f"{paths.DISSECTION}/fold{fold}/thresholds.parquet"}
    inputs.update({name: f"{PROTO}/{arm}/fold{fold}/model.pt" for name, arm in benchmark_arms().items()})
    if int(fold) in CF_FOLDS:
        inputs["attribution"] = f"{CF}/fold{fold}/attribution.pt"
    return inputs


def report_inputs(wildcards):
    return {
        "manifest": paths.MANIFEST,
        "exclusions": paths.EXCLUSIONS,
        "patches": paths.PATCHES,
        "folds": paths.FOLDS,
        "table1": f"{paths.CLASSIFIER3D}/table1.parquet",
        "metrics_by_fold": f"{paths.CLASSIFIER3D}/metrics_by_fold.parquet",
        "predictions": f"{paths.CLASSIFIER3D}/predictions.parquet",
        "curves": f"{paths.CLASSIFIER3D}/curves.png",
        "heights": paths.HEIGHTS,
        "keypoints": f"{paths.KEYPOINTS}/table.parquet",
        "cases": paths.CASES,
        "dissection": f"{paths.DISSECTION}/top_units.parquet",
        "explained": explained_cases(wildcards),
        "overlays": case_overlay_tables(wildcards),
        "prototypes": f"{PROTO}/tables.parquet",
        "prototype_maps": proto_fold_files("similarity.npz", [PROTO_MAIN]),
        "reader_kit": f"{PROTO}/reader_kit",
        "counterfactual": f"{CF}/table1.parquet",
        "counterfactual_maps": cf_fold_files("maps.npz"),
        "benchmark": f"{BENCH}/summary.parquet",
        "benchmark_figures": [f"{BENCH}/distributions.png", f"{BENCH}/gallery.png"],
    }


def final_outputs():
    return [
        paths.PATCHES,
        paths.EXCLUSIONS,
        paths.FOLDS,
        f"{paths.CLASSIFIER3D}/table1.parquet",
        paths.HEIGHTS,
        f"{paths.DISSECTION}/top_units.parquet",
        f"{paths.KEYPOINTS}/table.parquet",
        f"{PROTO}/tables.parquet",
        f"{PROTO}/reader_kit",
        f"{CF}/table1.parquet",
        f"{BENCH}/explanations.parquet",
        f"{BENCH}/summary.parquet",
        f"{RESULTS}/report/index.html",
    ] + ([f"{PROTO}/reader_scores.parquet"] if config["prototypes"]["reader_forms"] else [])


# Predict (rules/predict.smk): a trained run's models on this run's dataset
PRED = paths.PREDICT
PREDICT_ARM = config["predict"]["prototype_arm"] or config["prototypes"]["main_arm"]


def trained_run() -> TrainedRun:
    """The run named by predict.models (checked when a predict rule needs it, so training runs never look)."""
    models = config["predict"]["models"]
    if not models:
        raise WorkflowError("the predict target needs the trained run: --config \"predict={models: <its results/ folder>}\" (or use spinexai predict)")
    if os.path.abspath(models) == os.path.abspath(RESULTS):
        raise WorkflowError(f"predict.models is this directory's own {RESULTS}/: predicting here would overwrite the "
                            "trained run's data stage with the new scans. Run predict in another directory "
                            "(spinexai predict --out DIR, or snakemake --directory DIR).")
    try:
        return TrainedRun(models, PREDICT_ARM, config["predict"]["keypoint_arm"])
    except ValueError as err:  # InputError: names the folder
        raise WorkflowError(str(err)) from None


def predict_folds() -> list[int]:
    return trained_run().fold_ids()


def explain_fold() -> int:
    fold = config["predict"]["explain_fold"]
    if fold not in predict_folds():
        raise WorkflowError(f"predict.explain_fold = {fold}: the trained run has folds {predict_folds()}")
    return fold


def predict_fold_inputs(wildcards):
    inputs = {"patches": paths.PATCHES, "heights": paths.HEIGHTS}
    models = trained_run().fold(int(wildcards.fold))
    inputs.update({k: v for k, v in models.files().items() if k not in ("thresholds", "unit_ranking", "responses")})
    if models.prototypes is not None:
        trained = os.path.dirname(models.prototypes)
        inputs.update(projection=f"{trained}/projection.parquet", trained_similarity=f"{trained}/similarity.npz")
    return inputs


def predict_fold_files(name):
    return expand(f"{PRED}/{name}", fold=predict_folds())


def predict_subject_inputs(wildcards):
    fold = explain_fold()
    inputs = {"patches": paths.PATCHES, "manifest": paths.MANIFEST,
              "similarity": f"{PRED}/prototypes/{PREDICT_ARM}/fold{fold}/similarity.npz",
              "top3": f"{PRED}/prototypes/{PREDICT_ARM}/fold{fold}/top3.parquet",
              "counterfactual": f"{PRED}/counterfactual/fold{fold}/maps.npz"}
    inputs.update(trained_run().fold(fold).files())
    return inputs


def predict_case_dirs(wildcards):
    return expand(f"{PRED}/cases/sub-{{subject}}", subject=reformatted_subjects())
