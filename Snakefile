# spinexai: interpretable vertebral fracture diagnosis from spine CT.
# Table of contents only; see rules/*.smk. Run: snakemake --profile profiles/local all

import os

from snakemake.exceptions import WorkflowError

# configfile: paths are relative to the working directory (--directory), not to this file. Snakemake skips
# a missing one silently when --configfile is given, so say so in rules/common.smk, and refuse without one.
BASE_CONFIG = "config/config.yaml"
if not os.path.exists(BASE_CONFIG) and not workflow.overwrite_configfiles:
    raise WorkflowError(
        f"{os.path.abspath(BASE_CONFIG)} not found: the config is read relative to the working directory "
        f"({os.getcwd()}), not to the Snakefile. Run from the repository, or pass "
        f"--configfile {os.path.join(workflow.basedir, BASE_CONFIG)} (and any overlay, e.g. config/verse.yaml, after it)."
    )


configfile: BASE_CONFIG


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/classifier.smk"
include: "rules/morphometry.smk"
include: "rules/dissection.smk"
include: "rules/prototypes.smk"
include: "rules/counterfactual.smk"
include: "rules/benchmark.smk"
include: "rules/report.smk"
include: "rules/predict.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
