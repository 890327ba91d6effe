# Genant morphometry on CT (XVFA adapted): six-point heights measured on the body masks.


localrules:
    measure_morphometry,


rule measure_morphometry:
    input:
        patches=f"{DATA}/patches.parquet",
        splines=reformat_splines,
    output:
        heights=f"{RESULTS}/morphometry/heights.parquet",
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
