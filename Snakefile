# spinexai: interpretable vertebral fracture diagnosis from spine CT.
# Table of contents only; see rules/*.smk. Run: snakemake --profile profiles/local all


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/classifier.smk"
include: "rules/morphometry.smk"
include: "rules/dissection.smk"
include: "rules/prototypes.smk"
include: "rules/counterfactual.smk"
include: "rules/benchmark.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
