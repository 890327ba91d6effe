# Predict: a trained run's models (predict.models) score this run's dataset without retraining.
# Run it in its own directory (spinexai predict does): the data stage writes results/data there.


localrules:
    predict,


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
        patches=paths.PATCHES,
        heights=paths.HEIGHTS,
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
        manifest=paths.MANIFEST,
        exclusions=paths.EXCLUSIONS,
        patches=paths.PATCHES,
        heights=paths.HEIGHTS,
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
