# ProtoVerse (Sinhamahapatra et al. 2024): Genant grading with prototypes on the 2D reformations.
# Every arm (ProtoVerse, ProtoPNet, the non-prototype baseline, ablations) trains and is evaluated per fold;
# the summary writes the paper-shaped tables and the reader kit the radiologists' study material.

localrules:
    summarise_prototypes,


rule train_prototypes:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        init=proto_init_model,
    output:
        model=f"{PROTO_FOLD}/model.pt",
        history=f"{PROTO_FOLD}/history.parquet",
    params:
        prototypes=proto_arm_params,
        state_root=lambda wildcards: f"{PROTO}/{wildcards.arm}/fold{wildcards.fold}/state",
    log:
        "logs/train_prototypes/{arm}_fold{fold}.log",
    benchmark:
        "benchmarks/train_prototypes/{arm}_fold{fold}.tsv"
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=16000,
        runtime=240,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/train_prototypes.py"


rule evaluate_prototypes:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        model=f"{PROTO_FOLD}/model.pt",
    output:
        predictions=f"{PROTO_FOLD}/predictions.parquet",
        metrics=f"{PROTO_FOLD}/metrics.parquet",
        projection=f"{PROTO_FOLD}/projection.parquet",
        top=f"{PROTO_FOLD}/top3.parquet",
        contributions=f"{PROTO_FOLD}/contributions.parquet",
        cosine=f"{PROTO_FOLD}/cosine.parquet",
        localisation=f"{PROTO_FOLD}/localisation.parquet",
        maps=f"{PROTO_FOLD}/similarity.npz",
        gallery=f"{PROTO_FOLD}/gallery.png",
    params:
        prototypes=proto_arm_params,
    log:
        "logs/evaluate_prototypes/{arm}_fold{fold}.log",
    threads: 1
    resources:
        gpu=gpu_slots,
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/evaluate_prototypes.py"


rule summarise_prototypes:
    input:
        metrics=proto_fold_files("metrics.parquet"),
        predictions=proto_fold_files("predictions.parquet"),
        contributions=proto_fold_files("contributions.parquet"),
        cosine=proto_fold_files("cosine.parquet"),
        localisation=proto_fold_files("localisation.parquet"),
    output:
        tables=f"{PROTO}/tables.parquet",
        metrics=f"{PROTO}/metrics_by_fold.parquet",
        predictions=f"{PROTO}/predictions.parquet",
        wilcoxon=f"{PROTO}/wilcoxon.parquet",
        contribution_matrix=f"{PROTO}/contribution_matrix.parquet",
        cosine_summary=f"{PROTO}/cosine_summary.parquet",
        localisation=f"{PROTO}/localisation.parquet",
        cosine_figure=report(
            f"{PROTO}/cosine.png",
            caption="../workflow/report/prototypes_cosine.rst",
            category="ProtoVerse",
        ),
        weighting_figure=report(
            f"{PROTO}/class_weighting.png",
            caption="../workflow/report/prototypes_weighting.rst",
            category="ProtoVerse",
        ),
    params:
        prototypes=lookup(within=config, dpath="prototypes"),
    log:
        "logs/summarise_prototypes.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/summarise_prototypes.py"


rule reader_kit:
    input:
        patches=paths.PATCHES,
        metrics=proto_fold_files("metrics.parquet", [PROTO_MAIN]),
        top=proto_fold_files("top3.parquet", [PROTO_MAIN]),
        maps=proto_fold_files("similarity.npz", [PROTO_MAIN]),
        projection=proto_fold_files("projection.parquet", [PROTO_MAIN]),
    output:
        kit=directory(f"{PROTO}/reader_kit"),
    params:
        prototypes=lookup(within=config, dpath="prototypes"),
    log:
        "logs/reader_kit.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/reader_kit.py"


rule score_reader_study:
    input:
        kit=f"{PROTO}/reader_kit",
        forms=config["prototypes"]["reader_forms"],
    output:
        table=f"{PROTO}/reader_scores.parquet",
    log:
        "logs/score_reader_study.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/score_reader_study.py"
