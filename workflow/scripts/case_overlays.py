"""Rule case_overlays: a case's 2D explanation maps on the source CT's voxel grid, from the saved maps."""

from pathlib import Path

from spinexai.io.tables import CASE_OVERLAYS, MANIFEST, PATCHES, read_table, write_table
from spinexai.report.overlays import case_maps, write_overlays
from spinexai.workflow import run


def main(io):
    subject, label, fold = io.wildcards.subject, int(io.wildcards.label), int(io.wildcards.fold)
    patches = read_table(io.input.patches, PATCHES)
    row = patches[(patches["subject"] == subject) & (patches["label"] == label)].iloc[0]
    manifest = read_table(io.input.manifest, MANIFEST)
    ct_path = manifest.loc[manifest["subject"] == subject, "ct_path"].iloc[0]
    maps, missing = case_maps(subject, label, getattr(io.input, "similarity", None), getattr(io.input, "top3", None),
                              getattr(io.input, "counterfactual", None))
    index = write_overlays(row, ct_path, maps, missing, Path(io.output.index).parent)
    write_table(index.assign(subject=subject, label=label, fold=fold), io.output.index, CASE_OVERLAYS)


run(main, globals())
