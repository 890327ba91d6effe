"""Rule split_folds: patient-level stratified folds plus a held-out test set."""

from spinexai.data.folds import make_folds
from spinexai.io.tables import FOLDS, PATCHES, read_table, write_table
from spinexai.workflow import run


def main(io):
    patches = read_table(io.input.patches, PATCHES)
    f = io.params.folds
    folds = make_folds(patches, n_folds=f["n_folds"], test_fraction=f["test_fraction"], seed=f["seed"],
                       source=str(io.input.patches))
    write_table(folds, io.output.folds, FOLDS)


run(main, globals())
