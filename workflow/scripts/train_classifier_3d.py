"""Rule train_classifier_3d: train the 3D fracture classifier on one fold (resumes after a kill)."""

import torch

from spinexai.fracture3d.classifier import ClassifierParams, train_fold
from spinexai.io.cards import input_geometry
from spinexai.io.tables import CLASSIFIER_HISTORY, FOLDS, PATCHES, read_table, write_table
from spinexai.train.saving import save_model
from spinexai.train.state import state_dir_for
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    params = ClassifierParams.from_dict(io.params.classifier)
    patches, folds = read_table(io.input.patches, PATCHES), read_table(io.input.folds, FOLDS)
    fold = int(io.wildcards.fold)
    state = state_dir_for(io.params.state_root, params, patches, folds)
    best, history = train_fold(patches, folds, fold, params, state)
    write_table(history, io.output.history, CLASSIFIER_HISTORY)
    save_model(best, io.output.model, "classifier3d", params, input_geometry(patches, ("ct_patch",)), fold=fold)


run(main, globals())
