# The explanation benchmark (methods section 7): every method's maps of the held-out test vertebrae with a
# true fracture region, per fold's models, scored against that region next to a centre prior and a random map.

localrules:
    summarise_benchmark,


rule benchmark_fold:
    input:
        unpack(benchmark_fold_inputs),
    output:
        scores=f"{BENCH}/fold{{fold}}/scores.parquet",
        maps_2d=f"{BENCH}/maps/fold{{fold}}_2d.npz",
        maps_3d=f"{BENCH}/maps/fold{{fold}}_3d.npz",
    params:
        benchmark={k: v for k, v in config["benchmark"].items() if k not in BENCH_FIGURE_KEYS},
        classifier=lookup(within=config, dpath="classifier3d"),
        dissection=lookup(within=config, dpath="dissection"),
        arms=benchmark_arm_params,
        counterfactual=cf_params("train_attribution"),
        reformat=lookup(within=config, dpath="reformat"),
    log:
        "logs/benchmark_fold/fold{fold}.log",
    threads: device_threads
    resources:
        gpu=gpu_slots,
        mem_mb=8000,
        runtime=60,
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/benchmark_fold.py"


rule summarise_benchmark:
    input:
        patches=paths.PATCHES,
        scores=expand(f"{BENCH}/fold{{fold}}/scores.parquet", fold=FOLD_IDS),
        maps_2d=expand(f"{BENCH}/maps/fold{{fold}}_2d.npz", fold=FOLD_IDS),
        maps_3d=expand(f"{BENCH}/maps/fold{{fold}}_3d.npz", fold=FOLD_IDS),
    output:
        explanations=f"{BENCH}/explanations.parquet",
        summary=f"{BENCH}/summary.parquet",
        distributions=report(
            f"{BENCH}/distributions.png",
            caption="../workflow/report/benchmark_distributions.rst",
            category="Explanation benchmark",
        ),
        gallery=report(
            f"{BENCH}/gallery.png",
            caption="../workflow/report/benchmark_gallery.rst",
            category="Explanation benchmark",
        ),
    params:
        benchmark=lookup(within=config, dpath="benchmark"),
        classifier=lookup(within=config, dpath="classifier3d"),
    log:
        "logs/summarise_benchmark.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/summarise_benchmark.py"
