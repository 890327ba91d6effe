"""The predict run's report: an index of every scored vertebra's verdict and one page per vertebra,
the same case page as the training run's (images, every model, concepts, maps on the CT,
morphometry, prototypes, counterfactual)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinexai.labels import case_id
from spinexai.predict.cases import vertebra_dir
from spinexai.report.build import Report
from spinexai.report.model import Block, Link, ReportInputs, Section
from spinexai.report.sections.config import config_section
from spinexai.report.sections.dataset import dataset_section


class PredictReport(Report):
    """``inputs.results`` is the predict folder (results/predict); ``verdicts`` the PREDICTIONS table."""

    def __init__(self, inputs: ReportInputs, out: Path, verdicts: pd.DataFrame, metrics: pd.DataFrame,
                 models: pd.DataFrame, trained: str) -> None:
        super().__init__(inputs, out)
        self.verdicts, self.metrics, self.models, self.trained = verdicts, metrics, models, trained

    def overlay_dir(self, case) -> Path:
        return vertebra_dir(self.inputs.results / "cases" / f"sub-{case.subject}", case.label)

    def relevance_dir(self, case) -> Path:
        return self.overlay_dir(case)

    @staticmethod
    def case_page_name(case) -> str:
        return f"{case_id(case.subject, case.label)}.html"

    def case_title(self, case) -> str:
        return f"{case.subject} {case.level} (predict)"

    def case_verdict(self, case, row: pd.Series) -> str:
        call = "called fractured" if case.prediction else "called not fractured"
        spread = f"{case.p_fracture_min:.2f}-{case.p_fracture_max:.2f}"
        text = (f"{case.subject} {case.level}: the mean of {case.folds} fold models gives p(fracture) = "
                f"{case.p_fracture:.2f} (fold models {spread}; threshold {case.threshold:.2f}), {call}")
        if case.grade >= 0:
            text += f"; the grade sheet says G{case.grade} ({'fractured' if case.fracture else 'not fractured'})"
        if case.predicted_grade >= 0:
            text += f". Grade model: G{case.predicted_grade}"
        if case.kp_predicted_grade >= 0:
            text += f"; keypoint morphometry: G{case.kp_predicted_grade} {case.kp_predicted_morphology}"
        return text + f". Explanations below are those of fold {case.explain_fold}'s models."

    def verdict_section(self) -> Section:
        section = Section("verdicts", "Verdicts")
        rows = self.verdicts.copy()
        if rows.empty:
            section.empty = {"message": "No vertebra was scored (none was included: see Dataset, Exclusions)."}
            return section
        rows["page"] = [Link(f"cases/{self.case_page_name(c)}", f"{c.subject} {c.level}") for c in rows.itertuples()]
        columns = ["page", "grade", "p_fracture", "p_fracture_sd", "prediction"]
        columns += ["predicted_grade", "top_prototypes", "kp_predicted_grade", "kp_predicted_morphology", "kp_ha", "kp_hm",
                    "kp_hp", "kp_interval_mm", "mask_genant_grade", "top_units"]
        section.blocks.append(Block(
            text=f"Every included vertebra, scored by every fold model of the trained run {self.trained}. "
                 "p_fracture: mean of the 3D classifiers (sd over folds); predicted_grade: the grade model's fold-mean "
                 "probabilities (-1: not scored); kp_*: the keypoint model's Genant reading and heights (mm) with the mean half-width "
                 "of the keypoints' intervals; mask_genant_grade: the rule applied to the masks' own heights; "
                 "grade -1: not in a grade sheet. Open a vertebra for its explanations.",
            table=rows[columns]))
        return section

    def metrics_section(self) -> Section:
        section = Section("metrics", "Against the grade sheet")
        graded = self.metrics[self.metrics["task"] != "points"]
        if self.metrics.empty:
            section.empty = {"message": "No metrics: the new data have no grades (predictions only)."}
            return section
        table = self.metrics.pivot_table(index=["model", "task", "metric"], columns="fold", values="value")
        table.columns = ["mean of folds" if c == -1 else f"fold {c}" for c in table.columns]
        text = ("Every model on the graded vertebrae (mean of folds: the fold-mean verdict); the keypoints' "
                "point error against the mask-derived points needs no grades.")
        if graded.empty:
            text = ("No metrics: the new data have no grades (predictions only). The keypoints' point error against "
                    "the mask-derived points needs none:")
        section.blocks.append(Block(text=text, table=table.reset_index()))
        return section

    def models_section(self) -> Section:
        return Section("models", "Trained models", [Block(
            text="Loaded with weights_only=True and built from their model cards (model.json), not from this run's "
                 "config; each was checked against the new data's reformatting.", table=self.models)])

    title = "predictions on new scans"

    def case_rows(self) -> pd.DataFrame | None:
        if self.patches is None:
            return None
        return self.verdicts.assign(fold=self.verdicts["explain_fold"])

    def sections(self) -> list[Section]:
        return [self.verdict_section(), self.metrics_section(), self.models_section(), dataset_section(self),
                config_section(self)]
