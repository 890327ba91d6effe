# Data stage: synthetic cohort, ingest, centroid-spline reformatting, folds.


localrules:
    synthesize_tables,
    collect_patches,
    split_folds,


rule synthesize_subject:
    output:
        ct=f"{SYNTH}/rawdata/sub-{{subject}}/sub-{{subject}}_ct.nii.gz",
        vert=f"{SYNTH}/derivatives/sub-{{subject}}/sub-{{subject}}_seg-vert_msk.nii.gz",
        body=f"{SYNTH}/derivatives/sub-{{subject}}/sub-{{subject}}_seg-body_msk.nii.gz",
        fracture=f"{SYNTH}/derivatives/sub-{{subject}}/sub-{{subject}}_seg-fx_msk.nii.gz",
        centroids=f"{SYNTH}/derivatives/sub-{{subject}}/sub-{{subject}}_seg-subreg_ctd.json",
        truth=f"{SYNTH}/derivatives/sub-{{subject}}/sub-{{subject}}_morphometry.json",
    params:
        synthetic=synthetic_params(),
    log:
        "logs/synthesize_subject/{subject}.log",
    group:
        "subject"
    threads: 1
    resources:
        mem_mb=4000,  # a 0.3 mm full-range subject holds ~150 M voxels of float32 in a few arrays
        runtime=20,  # minutes; seconds at the default spacing
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/synthesize_subject.py"


rule synthesize_tables:
    input:
        truth=expand(
            f"{SYNTH}/derivatives/sub-{{s}}/sub-{{s}}_morphometry.json",
            s=synthetic_subjects(),
        ),
    output:
        grading=f"{SYNTH}/fracture_grading.csv",
        morphology=f"{SYNTH}/fracture_morphology.csv",
    params:
        subjects=synthetic_subjects(),
    log:
        "logs/synthesize_tables.log",
    threads: 1
    resources:
        mem_mb=500,  # reads small JSON files
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/synthesize_tables.py"


checkpoint ingest:
    input:
        ingest_inputs,
    output:
        manifest=paths.MANIFEST,
        ingest_exclusions=paths.INGEST_EXCLUSIONS,
    params:
        root=dataset_root(),
        dataset=lookup(within=config, dpath="dataset"),
        data=lookup(within=config, dpath="data"),
    log:
        "logs/ingest.log",
    threads: 1
    resources:
        mem_mb=4000,  # loads one subject's masks at a time
        runtime=60,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/ingest.py"


rule reformat_subject:
    input:
        manifest=paths.MANIFEST,
    output:
        folder=directory(f"{DATA}/reformat/sub-{{subject}}/patches"),
        index=f"{DATA}/reformat/sub-{{subject}}/index.parquet",
        spline=f"{DATA}/reformat/sub-{{subject}}/spline.parquet",
    params:
        reformat=lookup(within=config, dpath="reformat"),
    log:
        "logs/reformat_subject/{subject}.log",
    group:
        "subject"
    threads: 1
    resources:
        mem_mb=3000,  # one CT as float32 (512x512x400 ~ 420 MB) plus masks
        runtime=20,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/reformat_subject.py"


rule collect_patches:
    input:
        indexes=reformat_indexes,
        ingest_exclusions=paths.INGEST_EXCLUSIONS,
    output:
        patches=paths.PATCHES,
        exclusions=paths.EXCLUSIONS,
    log:
        "logs/collect_patches.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/collect_patches.py"


rule split_folds:
    input:
        patches=paths.PATCHES,
    output:
        folds=paths.FOLDS,
    params:
        folds=lookup(within=config, dpath="folds"),
    log:
        "logs/split_folds.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/split_folds.py"
