"""Rule report: the static HTML report of the run (index and case pages)."""

from pathlib import Path

from spinexai.report.build import Report, ReportInputs
from spinexai.workflow import run


def main(io):
    def get(key: str) -> Path | None:
        value = getattr(io.input, key, None)
        return Path(value) if value else None

    inputs = ReportInputs(
        results=Path(io.output.index).parent.parent, config=dict(io.params.config),
        config_sources=str(io.params.config_sources),
        manifest=get("manifest"), exclusions=get("exclusions"), patches=get("patches"), folds=get("folds"),
        table1=get("table1"), metrics_by_fold=get("metrics_by_fold"), predictions=get("predictions"),
        curves=get("curves"), heights=get("heights"), keypoints=get("keypoints"), cases=get("cases"),
        dissection=get("dissection").parent if get("dissection") else None,
        prototypes=get("prototypes").parent if get("prototypes") else None,
        counterfactual=get("counterfactual").parent if get("counterfactual") else None,
        benchmark=get("benchmark").parent if get("benchmark") else None)
    Report(inputs, Path(io.output.index).parent).write()


run(main, globals())
