# Counterfactual impact analysis (Lenis et al. 2020) of the 2D classifier (a prototypes baseline arm):
# per explained fold a partial-convolution inpainter trained on healthy vertebrae, its domain test, a
# one-pass attribution network and its evaluation against Grad-CAM and saliency; a summary over folds.

localrules:
    summarise_counterfactual,


rule train_inpainter:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        classifier=cf_classifier,
    output:
        model=f"{CF_FOLD}/inpainter.pt",
        history=f"{CF_FOLD}/inpainter_history.parquet",
    params:
        counterfactual=cf_params("train_inpainter"),
        classifier=cf_classifier_params,
        state_root=lambda wildcards: f"{CF}/fold{wildcards.fold}/state/inpainter",
    log:
        "logs/train_inpainter/fold{fold}.log",
    benchmark:
        "benchmarks/train_inpainter/fold{fold}.tsv"
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=16000,
        runtime=240,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/train_inpainter.py"


rule evaluate_inpainter:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        classifier=cf_classifier,
        inpainter=f"{CF_FOLD}/inpainter.pt",
    output:
        domain=f"{CF_FOLD}/domain.parquet",
        roc=f"{CF_FOLD}/roc.parquet",
        quality=f"{CF_FOLD}/quality.parquet",
    params:
        counterfactual=cf_params("evaluate_inpainter"),
        classifier=cf_classifier_params,
    log:
        "logs/evaluate_inpainter/fold{fold}.log",
    threads: 1
    resources:
        gpu=gpu_slots,
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/evaluate_inpainter.py"


rule train_attribution:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        classifier=cf_classifier,
        inpainter=f"{CF_FOLD}/inpainter.pt",
    output:
        model=f"{CF_FOLD}/attribution.pt",
        history=f"{CF_FOLD}/attribution_history.parquet",
    params:
        counterfactual=cf_params("train_attribution"),
        classifier=cf_classifier_params,
        state_root=lambda wildcards: f"{CF}/fold{wildcards.fold}/state/attribution",
    log:
        "logs/train_attribution/fold{fold}.log",
    benchmark:
        "benchmarks/train_attribution/fold{fold}.tsv"
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=16000,
        runtime=240,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/train_attribution.py"


rule evaluate_attribution:
    input:
        patches=paths.PATCHES,
        folds=paths.FOLDS,
        classifier=cf_classifier,
        inpainter=f"{CF_FOLD}/inpainter.pt",
        model=f"{CF_FOLD}/attribution.pt",
    output:
        localisation=f"{CF_FOLD}/localisation.parquet",
        sanity=f"{CF_FOLD}/sanity.parquet",
        timing=f"{CF_FOLD}/timing.parquet",
        effects=f"{CF_FOLD}/effects.parquet",
        maps=f"{CF_FOLD}/maps.npz",
        gallery=report(
            f"{CF_FOLD}/gallery.png",
            caption="../workflow/report/counterfactual_gallery.rst",
            category="Counterfactual",
            subcategory="fold {fold}",
        ),
    params:
        counterfactual=cf_params("evaluate_attribution"),
        classifier=cf_classifier_params,
        reformat=lookup(within=config, dpath="reformat"),
    log:
        "logs/evaluate_attribution/fold{fold}.log",
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=8000,
        runtime=60,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/evaluate_attribution.py"


rule summarise_counterfactual:
    input:
        domain=cf_fold_files("domain.parquet"),
        roc=cf_fold_files("roc.parquet"),
        localisation=cf_fold_files("localisation.parquet"),
        sanity=cf_fold_files("sanity.parquet"),
        timing=cf_fold_files("timing.parquet"),
        effects=cf_fold_files("effects.parquet"),
    output:
        domain=f"{CF}/domain_summary.parquet",
        table1=f"{CF}/table1.parquet",
        wilcoxon=f"{CF}/wilcoxon.parquet",
        sanity=f"{CF}/sanity_summary.parquet",
        effects=f"{CF}/effect_summary.parquet",
        timing=f"{CF}/timing.parquet",
        roc_figure=report(
            f"{CF}/domain_roc.png",
            caption="../workflow/report/counterfactual_roc.rst",
            category="Counterfactual",
        ),
    log:
        "logs/summarise_counterfactual.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/summarise_counterfactual.py"
