# 3D fracture classifier (Engstler et al. 2022): train and evaluate per fold, then the Table 1 analogue.

CLS = paths.CLASSIFIER3D


localrules:
    summarise_classifier_3d,


rule train_classifier_3d:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
    output:
        model=f"{CLS}/fold{{fold}}/model.pt",
        history=f"{CLS}/fold{{fold}}/history.parquet",
    params:
        classifier=lookup(within=config, dpath="classifier3d"),
        # Checkpoints for resuming live here, outside the declared outputs (a failed job's outputs are deleted).
        state_root=lambda wildcards: f"{CLS}/fold{wildcards.fold}/state",
    log:
        "logs/train_classifier_3d/fold{fold}.log",
    benchmark:
        "benchmarks/train_classifier_3d/fold{fold}.tsv"
    # The longest training, and dissection, the cases and the benchmark wait for it: start it first.
    priority: 10
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=16000,  # the fold's patches are held in memory (fp16: 0.5 MB per 64^3 patch)
        runtime=720,  # minutes; full config with early stopping on one GPU
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/train_classifier_3d.py"


rule evaluate_classifier_3d:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        model=f"{CLS}/fold{{fold}}/model.pt",
    output:
        predictions=f"{CLS}/fold{{fold}}/predictions.parquet",
        metrics=f"{CLS}/fold{{fold}}/metrics.parquet",
    params:
        classifier=lookup(within=config, dpath="classifier3d"),
    log:
        "logs/evaluate_classifier_3d/fold{fold}.log",
    threads: 1
    resources:
        gpu=gpu_slots,
        mem_mb=8000,
        runtime=60,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/evaluate_classifier_3d.py"


rule summarise_classifier_3d:
    input:
        metrics=expand(f"{CLS}/fold{{fold}}/metrics.parquet", fold=FOLD_IDS),
        predictions=expand(f"{CLS}/fold{{fold}}/predictions.parquet", fold=FOLD_IDS),
    output:
        table=f"{CLS}/table1.parquet",
        folds=f"{CLS}/metrics_by_fold.parquet",
        predictions=f"{CLS}/predictions.parquet",
        figure=report(
            f"{CLS}/curves.png",
            caption="../workflow/report/classifier_curves.rst",
            category="3D classifier",
        ),
    log:
        "logs/summarise_classifier_3d.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/summarise_classifier_3d.py"
