"""Probe one fold of one 2D arm (baseline or prototype) with config overrides on a run's data stage:
test/val class-average F1, the AUC of p(fracture) = p(G2) + p(G3), and where its explanations peak
(true fracture region, vertebral body).

    python bench/probe_2d.py RUN_DIR ARM FOLD '{"blocks": 4, "window": 3}' [INIT_MODEL] [OUT_MODEL]

RUN_DIR holds results/data from `snakemake ... --configfile config/config.yaml config/study.yaml`;
the prototypes section is config.yaml's, then study.yaml's, then the overrides. The fold-0 figures in
README's study paragraph came from this script (baseline first, then protoverse with its model as INIT;
the paper layout is {"blocks": 5, "window": 0} now that study.yaml sets both)."""
import json
import sys
import tempfile
import time

import torch
import yaml
from sklearn.metrics import roc_auc_score

from spinexai.data.images2d import graded_rows
from spinexai.io.cards import input_geometry
from spinexai.io.tables import FOLDS, PATCHES, read_table
from spinexai.prototypes.evaluate import evaluate_prototype_fold
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.train import train_prototype_fold
from spinexai.train.saving import save_model

root, arm, fold, overrides = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
init = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
torch.set_num_threads(1)
REPO = __import__('pathlib').Path(__file__).resolve().parents[1]
cfg = yaml.safe_load(open(REPO / 'config/config.yaml'))['prototypes']
cfg.update(yaml.safe_load(open(REPO / 'config/study.yaml'))['prototypes'])
cfg.update(overrides)
params = ProtoParams.from_dict(cfg).for_arm(arm)
rows = graded_rows(read_table(f'{root}/results/data/patches.parquet', PATCHES), params.grades)
folds = read_table(f'{root}/results/data/folds.parquet', FOLDS)
t = time.time()
state = tempfile.mkdtemp()
best, hist = train_prototype_fold(rows, folds, fold, params, state, init)
out = sys.argv[6] if len(sys.argv) > 6 else f'/tmp/probe_{arm}_{fold}.pt'
save_model(best, out, f"prototypes/{params.model}", params, input_geometry(rows, ("sag_ct",)), fold=fold, arm=arm)
ev = evaluate_prototype_fold(rows, folds, fold, arm, params, out)
print('train s', round(time.time() - t))
print(ev.metrics[['split', 'class_f1']].to_string())
loc = ev.localisation
print(loc.groupby(['split', 'method'])[['hit', 'in_body']].mean().to_string())
print('peak rows/cols', loc[loc.split == 'test'].groupby('method')[['peak_row', 'peak_col']].describe().round(0).to_string())
if len(ev.projection):
    print(ev.projection.to_string())
pred = ev.predictions
for split in ('val', 'test'):
    part = pred[pred.split == split]
    p = part[[f'p_grade{g}' for g in params.grades if g > 0]].sum(axis=1)
    if part.grade.nunique() > 1:
        print(split, 'AUC p(G2+G3) vs grade >= 2:', round(roc_auc_score(part.grade >= 2, p), 3), 'n', len(part))
