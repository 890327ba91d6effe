# Network dissection of the 3D classifier (Engstler et al. 2022, sections 2.2-2.3): unit thresholds,
# rankings, concept labels and exports per fold; the single-inference view per selected case.

DIS = paths.DISSECTION


wildcard_constraints:
    label=r"\d+",


localrules:
    select_cases,
    summarise_dissection,


checkpoint select_cases:
    input:
        predictions=f"{CLS}/predictions.parquet",
    output:
        cases=paths.CASES,
    params:
        cases=lookup(within=config, dpath="cases"),
    log:
        "logs/select_cases.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/select_cases.py"


rule dissect:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        model=f"{CLS}/fold{{fold}}/model.pt",
    output:
        thresholds=f"{DIS}/fold{{fold}}/thresholds.parquet",
        responses=f"{DIS}/fold{{fold}}/responses.parquet",
        ranking=f"{DIS}/fold{{fold}}/unit_ranking.parquet",
        top_units=f"{DIS}/fold{{fold}}/top_units.parquet",
        concepts=f"{DIS}/fold{{fold}}/concepts.parquet",
        overlap=f"{DIS}/fold{{fold}}/fracture_overlap.parquet",
        units=directory(f"{DIS}/fold{{fold}}/units"),
    params:
        classifier=lookup(within=config, dpath="classifier3d"),
        dissection=lookup(within=config, dpath="dissection"),
    log:
        "logs/dissect/fold{fold}.log",
    benchmark:
        "benchmarks/dissect/fold{fold}.tsv"
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=16000,
        runtime=60,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/dissect.py"


rule explain_concepts:
    input:
        manifest=paths.MANIFEST,
        patches=paths.PATCHES,
        model=f"{CLS}/fold{{fold}}/model.pt",
        thresholds=f"{DIS}/fold{{fold}}/thresholds.parquet",
        ranking=f"{DIS}/fold{{fold}}/unit_ranking.parquet",
        responses=f"{DIS}/fold{{fold}}/responses.parquet",
    output:
        relevance=f"{paths.CASE_RELEVANCE_DIR}/relevance.parquet",
        overlay=f"{paths.CASE_RELEVANCE_DIR}/units_ct.nii.gz",
        gradcam=f"{paths.CASE_RELEVANCE_DIR}/gradcam3d_ct.nii.gz",
        figure=report(
            f"{paths.CASE_RELEVANCE_DIR}/concepts.png",
            caption="../workflow/report/case_concepts.rst",
            category="Network dissection",
            subcategory="Cases",
            labels={"fold": "{fold}", "case": "sub-{subject} vert-{label}"},
        ),
    params:
        classifier=lookup(within=config, dpath="classifier3d"),
        dissection=lookup(within=config, dpath="dissection"),
    log:
        "logs/explain_concepts/fold{fold}_sub-{subject}_vert-{label}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/explain_concepts.py"


rule summarise_dissection:
    input:
        top_units=expand(f"{DIS}/fold{{fold}}/top_units.parquet", fold=FOLD_IDS),
        overlap=expand(f"{DIS}/fold{{fold}}/fracture_overlap.parquet", fold=FOLD_IDS),
        cases=explained_cases,
    output:
        top_units=f"{DIS}/top_units.parquet",
        overlap=f"{DIS}/fracture_overlap.parquet",
        figure=report(
            f"{DIS}/concepts.png",
            caption="../workflow/report/dissection_concepts.rst",
            category="Network dissection",
        ),
    params:
        rank_by=lookup(within=config, dpath="dissection/rank_by"),
        folds=FOLD_IDS,  # in the order of the inputs
    log:
        "logs/summarise_dissection.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/summarise_dissection.py"
