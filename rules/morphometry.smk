# Genant morphometry on CT (XVFA adapted): six-point heights measured on the body masks, then a
# keypoint regressor with RLE and a differentiable GSQ classifier per fold and ablation arm.

KPT = paths.KEYPOINTS
KEYPOINT_ARMS = list(config["keypoints"]["arms"])


wildcard_constraints:
    arm="[A-Za-z0-9_]+",


localrules:
    measure_morphometry,
    summarise_keypoints,


rule measure_morphometry:
    input:
        patches=paths.PATCHES,
        splines=reformat_splines,
    output:
        heights=paths.HEIGHTS,
    params:
        reformat=lookup(within=config, dpath="reformat"),
    log:
        "logs/measure_morphometry.log",
    threads: 1
    resources:
        mem_mb=1000,  # reads one 224^2 reformation at a time
        runtime=10,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/measure_morphometry.py"


rule train_keypoints:
    input:
        heights=paths.HEIGHTS,
        patches=paths.PATCHES,
        folds=paths.FOLDS,
    output:
        model=f"{KPT}/{{arm}}/fold{{fold}}/model.pt",
        history=f"{KPT}/{{arm}}/fold{{fold}}/history.parquet",
    params:
        keypoints=lookup(within=config, dpath="keypoints"),
        state_root=lambda wildcards: f"{KPT}/{wildcards.arm}/fold{wildcards.fold}/state",
    log:
        "logs/train_keypoints/{arm}_fold{fold}.log",
    benchmark:
        "benchmarks/train_keypoints/{arm}_fold{fold}.tsv"
    # No training upstream: start it early, so it does not trail the run alone on one core.
    priority: 5
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=16000,
        runtime=240,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/train_keypoints.py"


rule evaluate_keypoints:
    input:
        heights=paths.HEIGHTS,
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        model=f"{KPT}/{{arm}}/fold{{fold}}/model.pt",
    output:
        predictions=f"{KPT}/{{arm}}/fold{{fold}}/predictions.parquet",
        metrics=f"{KPT}/{{arm}}/fold{{fold}}/metrics.parquet",
    params:
        keypoints=lookup(within=config, dpath="keypoints"),
    log:
        "logs/evaluate_keypoints/{arm}_fold{fold}.log",
    threads: 1
    resources:
        gpu=gpu_slots,
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/evaluate_keypoints.py"


rule summarise_keypoints:
    input:
        predictions=expand(f"{KPT}/{{arm}}/fold{{fold}}/predictions.parquet", arm=KEYPOINT_ARMS, fold=FOLD_IDS),
        metrics=expand(f"{KPT}/{{arm}}/fold{{fold}}/metrics.parquet", arm=KEYPOINT_ARMS, fold=FOLD_IDS),
    output:
        table=f"{KPT}/table.parquet",
        metrics=f"{KPT}/metrics_by_fold.parquet",
        predictions=f"{KPT}/predictions.parquet",
        confusion=f"{KPT}/morphology_confusion.parquet",
        figure=report(
            f"{KPT}/decision_border.png",
            caption="../workflow/report/keypoints_border.rst",
            category="Genant morphometry",
        ),
    params:
        keypoints=lookup(within=config, dpath="keypoints"),
    log:
        "logs/summarise_keypoints.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/summarise_keypoints.py"
