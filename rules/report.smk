# The browsable report: results/report/index.html and one page per selected case.


localrules:
    report,


rule case_overlays:
    input:
        unpack(case_overlay_inputs),
    output:
        index=f"{paths.CASE_DIR}/overlays.parquet",
    log:
        "logs/case_overlays/fold{fold}_sub-{subject}_vert-{label}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/case_overlays.py"


rule report:
    input:
        unpack(report_inputs),
    output:
        index=f"{RESULTS}/report/index.html",
        cases=directory(f"{RESULTS}/report/cases"),
        figures=directory(f"{RESULTS}/report/figures"),
    params:
        config=config,  # the report shows the whole config, so any change re-renders it
        config_sources=CONFIG_IN_FORCE,
    log:
        "logs/report.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/report.py"
