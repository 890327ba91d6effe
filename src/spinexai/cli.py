"""``spinexai``: the command line. ``spinexai predict`` scores new scans with a trained run by
running the workflow's ``predict`` target in its own directory (Snakemake's progress and logs)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # an editable install: the workflow lives beside the package


def _workflow(given: str | None) -> Path:
    snakefile = Path(given) if given else REPO / "Snakefile"
    if not snakefile.exists():
        raise SystemExit(f"spinexai predict: no Snakefile at {snakefile}; pass --snakefile <repository>/Snakefile")
    return snakefile.resolve()


def _check_dirs(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    models, data, out = Path(args.models).resolve(), Path(args.data).resolve(), Path(args.out).resolve()
    if not (models / "classifier3d").is_dir():
        raise SystemExit(f"spinexai predict: --models {models}: not the results/ folder of a trained run "
                         "(it has no classifier3d/ folder)")
    if not data.is_dir():
        raise SystemExit(f"spinexai predict: --data {data}: no such folder (a VerSe-style dataset: rawdata/ and "
                         "derivatives/, or dataset-0*/)")
    if out == models.parent:
        raise SystemExit(f"spinexai predict: --out {out} is the trained run's own directory; its data stage would be "
                         "overwritten by the new scans. Choose another folder.")
    return models, data, out


def predict_command(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """The Snakemake command line that ``spinexai predict`` runs."""
    snakefile = _workflow(args.snakefile)
    models, data, out = _check_dirs(args)
    configfiles = [str(Path(f).resolve()) for f in (args.configfile or [snakefile.parent / "config" / "config.yaml"])]
    dataset = {"kind": "verse", "root": str(data)}
    if args.grades:
        dataset["grades"] = list(args.grades)
    overrides = [f"dataset={json.dumps(dataset)}", "data={require_grade: false}",
                 f"predict={json.dumps({'models': str(models), 'explain_fold': args.explain_fold})}"]
    # the target first: --configfile and --config take every word up to the next option
    return [sys.executable, "-m", "snakemake", "predict", "--snakefile", str(snakefile), "--directory", str(out),
            "--cores", str(args.cores), "--configfile", *configfiles, "--config", *overrides, *extra]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spinexai", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "predict", help="score new scans with a trained run (no retraining)",
        description="Score every vertebra of a VerSe-style dataset with the models of a finished training run: the 3D "
                    "classifier of every fold, the grade model with its top-3 prototypes, the keypoint morphometry and "
                    "Genant reading, the counterfactual map and the dissection's concepts. Writes "
                    "OUT/results/predict/predictions.parquet and OUT/results/predict/report/index.html; every map also "
                    "as a NIfTI on the source CT's grid. Arguments after -- go to Snakemake (e.g. -- --dry-run).",
        epilog="example: spinexai predict --models runs/study/results --data /data/verse_new --out runs/verse_new")
    p.add_argument("--models", required=True, help="results/ folder of the trained run")
    p.add_argument("--data", required=True, help="the new scans: a VerSe-format dataset folder")
    p.add_argument("--out", required=True, help="working directory of the predict run (created)")
    p.add_argument("--grades", nargs="*", help="grade tables relative to --data (default: fracture_grading.csv/.xlsx "
                                               "if there is one; without any, predictions only)")
    p.add_argument("--configfile", nargs="*", help="the config(s) the models were trained with, in order (default: "
                                                   "the repository's config/config.yaml); their reformat section must "
                                                   "match the models' or predict refuses")
    p.add_argument("--explain-fold", type=int, default=0, help="fold whose models explain each case (default 0)")
    p.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores for Snakemake (default: all)")
    p.add_argument("--snakefile", help="the workflow's Snakefile (default: the one beside this package)")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    command = predict_command(args, extra)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    print("running:", " ".join(command), file=sys.stderr)
    return subprocess.call(command)


if __name__ == "__main__":
    raise SystemExit(main())
