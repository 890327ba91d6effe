"""A trained run's saved models, found by their place under its ``results/`` folder and read through
their model cards; and the check that new data was reformatted as the models' training data was."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from spinexai.errors import InputError
from spinexai.io.cards import card_path, input_geometry, load_card


@dataclass(frozen=True)
class FoldModels:
    """The saved models of one cross-validation fold (None: that stage was not trained in the run)."""

    fold: int
    classifier3d: Path
    prototypes: Path | None
    keypoints: Path | None
    attribution: Path | None
    inpainter: Path | None
    cf_classifier: Path | None    # the 2D classifier the attribution network explains
    dissection: Path | None       # folder with thresholds, unit_ranking and responses

    def files(self) -> dict[str, str]:
        """Every existing model file (and its card) and dissection table, by a name for the rule's inputs."""
        out = {"classifier3d": self.classifier3d}
        for name in ("prototypes", "keypoints", "attribution", "inpainter", "cf_classifier"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        files = {k: str(v) for k, v in out.items()}
        files.update({f"{k}_card": str(card_path(v)) for k, v in out.items()})
        if self.dissection is not None:
            files.update({n: str(self.dissection / f"{n}.parquet") for n in DISSECTION_TABLES})
        return files


DISSECTION_TABLES = ("thresholds", "unit_ranking", "responses")


class TrainedRun:
    """The ``results/`` folder of a finished training run (``predict.models``)."""

    def __init__(self, results: str | Path, prototype_arm: str = "protoverse", keypoint_arm: str = "") -> None:
        self.results = Path(results).resolve()
        if not (self.results / "classifier3d").is_dir():
            raise InputError(self.results, "predict.models", "not the results/ folder of a trained run "
                                                               "(it has no classifier3d/ folder)")
        self.prototype_arm = prototype_arm
        self.keypoint_arm = keypoint_arm or self._first_keypoint_arm()

    @property
    def root(self) -> Path:
        """The run's working directory: its tables' relative paths start there."""
        return self.results.parent

    def resolve(self, path: str) -> str:
        """A path from one of the run's tables, made absolute."""
        return path if not path or Path(path).is_absolute() else str(self.root / path)

    def _first_keypoint_arm(self) -> str:
        arms = sorted(p.name for p in (self.results / "morphometry" / "keypoints").glob("*") if p.is_dir())
        return "all" if "all" in arms else (arms[0] if arms else "")

    def fold_ids(self) -> list[int]:
        found = sorted(int(m.group(1)) for p in (self.results / "classifier3d").glob("fold*/model.pt")
                       if (m := re.fullmatch(r"fold(\d+)", p.parent.name)))
        if not found:
            raise InputError(self.results / "classifier3d", "predict.models",
                             "no fold*/model.pt: the run's 3D classifier has not finished training")
        return found

    def _cf_classifier(self, fold: int, attribution: Path) -> Path | None:
        """The prototypes arm whose saved parameters are those the attribution network was trained on."""
        from spinexai.prototypes.params import ProtoParams

        def section(params: dict) -> str:  # the fields the model is built from, as JSON (tuples and lists alike)
            return json.dumps(asdict(ProtoParams.from_dict(params)), sort_keys=True, default=list)

        wanted = section(load_card(attribution).get("classifier"))
        for path in sorted((self.results / "prototypes").glob(f"*/fold{fold}/model.pt")):
            if card_path(path).exists() and section(load_card(path)["params"]) == wanted:
                return path
        return None

    def fold(self, fold: int) -> FoldModels:
        def existing(path: Path) -> Path | None:
            return path if path.exists() and card_path(path).exists() else None

        attribution = existing(self.results / "counterfactual" / f"fold{fold}" / "attribution.pt")
        inpainter = existing(self.results / "counterfactual" / f"fold{fold}" / "inpainter.pt")
        cf_classifier = self._cf_classifier(fold, attribution) if attribution is not None and inpainter else None
        dissection = self.results / "dissection" / f"fold{fold}"
        return FoldModels(
            fold=fold, classifier3d=self.results / "classifier3d" / f"fold{fold}" / "model.pt",
            prototypes=existing(self.results / "prototypes" / self.prototype_arm / f"fold{fold}" / "model.pt"),
            keypoints=existing(self.results / "morphometry" / "keypoints" / self.keypoint_arm / f"fold{fold}" / "model.pt")
            if self.keypoint_arm else None,
            attribution=attribution if cf_classifier is not None else None,
            inpainter=inpainter if cf_classifier is not None else None, cf_classifier=cf_classifier,
            dissection=dissection if all((dissection / f"{n}.parquet").exists() for n in DISSECTION_TABLES) else None)

    def patches(self) -> pd.DataFrame:
        """The run's own patches table with absolute paths (the dissection's reference images)."""
        from spinexai.io.tables import PATCHES, read_table

        table = read_table(self.results / "data" / "patches.parquet", PATCHES)
        for column in PATCHES.columns:
            if column.dtype == "string" and table[column.name].astype(str).str.startswith("results/").any():
                table[column.name] = table[column.name].map(self.resolve)
        return table


def _describe(geometry: dict | None) -> str:
    if not geometry:
        return "nothing"
    return f"{'x'.join(map(str, geometry['shape']))} voxels of {'x'.join(f'{s:g}' for s in geometry['spacing_mm'])} mm"


def check_inputs(model: str | Path, rows: pd.DataFrame, table: str | Path) -> dict:
    """The model's card, after checking that ``rows`` (new data, from ``table``) were reformatted to the
    shape and spacing the model was trained on; a mismatch names both files and both geometries."""
    card = load_card(model)
    trained = card.get("inputs") or {}
    have = input_geometry(rows, tuple(trained))
    for column, want in trained.items():
        got = have.get(column)
        if got != want:
            raise InputError(card_path(model), f"inputs.{column}",
                             f"the model was trained on {column} images of {_describe(want)}; the new data's "
                             f"reformatting ({Path(table).resolve()}) gives {_describe(got)}. Reformat the new data with the "
                             "config the models were trained with (the same reformat section: pass its "
                             "--configfile to the predict run).")
    return card
