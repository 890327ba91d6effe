# Predict: a trained run's models (predict.models) score this run's dataset without retraining.
# Run it in its own directory (spinexai predict does): the data stage writes results/data there.

import os

from spinexai.predict.trained import TrainedRun


localrules:
    predict,


PRED = f"{RESULTS}/predict"
PREDICT_ARM = config["predict"]["prototype_arm"] or config["prototypes"]["main_arm"]


def trained_run() -> TrainedRun:
    """The run named by predict.models (checked when a predict rule needs it, so training runs never look)."""
    models = config["predict"]["models"]
    if not models:
        raise WorkflowError("the predict target needs the trained run: --config predict.models=<its results/ folder>")
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
    inputs = {"patches": f"{DATA}/patches.parquet", "heights": f"{RESULTS}/morphometry/heights.parquet"}
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
    inputs = {"patches": f"{DATA}/patches.parquet", "manifest": f"{DATA}/manifest.parquet",
              "similarity": f"{PRED}/prototypes/{PREDICT_ARM}/fold{fold}/similarity.npz",
              "top3": f"{PRED}/prototypes/{PREDICT_ARM}/fold{fold}/top3.parquet",
              "counterfactual": f"{PRED}/counterfactual/fold{fold}/maps.npz"}
    inputs.update(trained_run().fold(fold).files())
    return inputs


def predict_case_dirs(wildcards):
    return expand(f"{PRED}/cases/sub-{{subject}}", subject=reformatted_subjects())


rule predict_fold:
    input:
        unpack(predict_fold_inputs),
    output:
        classifier3d=f"{PRED}/classifier3d/fold{{fold}}/predictions.parquet",
        grades=f"{PRED}/prototypes/{PREDICT_ARM}/fold{{fold}}/predictions.parquet",
        top3=f"{PRED}/prototypes/{PREDICT_ARM}/fold{{fold}}/top3.parquet",
        projection=f"{PRED}/prototypes/{PREDICT_ARM}/fold{{fold}}/projection.parquet",
        similarity=f"{PRED}/prototypes/{PREDICT_ARM}/fold{{fold}}/similarity.npz",
        keypoints=f"{PRED}/morphometry/keypoints/fold{{fold}}/predictions.parquet",
        counterfactual=f"{PRED}/counterfactual/fold{{fold}}/maps.npz",
    params:
        models=lambda wildcards: trained_run().results,
        arm=PREDICT_ARM,
        predict=lookup(within=config, dpath="predict"),
    log:
        "logs/predict_fold/fold{fold}.log",
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=6000,  # the new data's 3D patches and 2D reformations on the device
        runtime=30,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/predict_fold.py"


rule predict_subject:
    input:
        unpack(predict_subject_inputs),
    output:
        directory(f"{PRED}/cases/sub-{{subject}}"),
    params:
        models=lambda wildcards: trained_run().results,
        arm=PREDICT_ARM,
        predict=lookup(within=config, dpath="predict"),
        dissection=lookup(within=config, dpath="dissection"),
    log:
        "logs/predict_subject/sub-{subject}.log",
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/predict_subject.py"


rule predict_summary:
    input:
        patches=f"{DATA}/patches.parquet",
        heights=f"{RESULTS}/morphometry/heights.parquet",
        classifier3d=lambda wildcards: predict_fold_files("classifier3d/fold{fold}/predictions.parquet"),
        grades=lambda wildcards: predict_fold_files(f"prototypes/{PREDICT_ARM}/fold{{fold}}/predictions.parquet"),
        top3=lambda wildcards: f"{PRED}/prototypes/{PREDICT_ARM}/fold{explain_fold()}/top3.parquet",
        keypoints=lambda wildcards: predict_fold_files("morphometry/keypoints/fold{fold}/predictions.parquet"),
        cases=predict_case_dirs,
    output:
        predictions=f"{PRED}/predictions.parquet",
        metrics=f"{PRED}/metrics.parquet",
        classifier3d=f"{PRED}/classifier3d/predictions.parquet",
        grades=f"{PRED}/prototypes/predictions.parquet",
        keypoints=f"{PRED}/morphometry/keypoints/predictions.parquet",
    params:
        models=lambda wildcards: trained_run().results,
        arm=PREDICT_ARM,
        predict=lookup(within=config, dpath="predict"),
        units=config["dissection"]["case_units"],
    log:
        "logs/predict_summary.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/predict_summary.py"


rule predict_report:
    input:
        predictions=f"{PRED}/predictions.parquet",
        metrics=f"{PRED}/metrics.parquet",
        classifier3d=f"{PRED}/classifier3d/predictions.parquet",
        grades=f"{PRED}/prototypes/predictions.parquet",
        keypoints=f"{PRED}/morphometry/keypoints/predictions.parquet",
        similarity=lambda wildcards: f"{PRED}/prototypes/{PREDICT_ARM}/fold{explain_fold()}/similarity.npz",
        counterfactual=lambda wildcards: f"{PRED}/counterfactual/fold{explain_fold()}/maps.npz",
        cases=predict_case_dirs,
        manifest=f"{DATA}/manifest.parquet",
        exclusions=f"{DATA}/exclusions.parquet",
        patches=f"{DATA}/patches.parquet",
        heights=f"{RESULTS}/morphometry/heights.parquet",
    output:
        index=f"{PRED}/report/index.html",
        cases=directory(f"{PRED}/report/cases"),
    params:
        models=lambda wildcards: trained_run().results,
        arm=PREDICT_ARM,
        config=config,
        config_sources=CONFIG_IN_FORCE,
    log:
        "logs/predict_report.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/predict_report.py"


rule predict:
    input:
        f"{PRED}/predictions.parquet",
        f"{PRED}/report/index.html",
