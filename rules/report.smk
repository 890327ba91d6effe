# The browsable report: results/report/index.html and one page per selected case.


localrules:
    report,


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
