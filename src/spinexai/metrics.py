"""Classification metrics (scikit-learn underneath), robust to folds with one class."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score


def binary_metrics(y_true, p_positive, threshold: float = 0.5) -> dict[str, float]:
    """F1, accuracy, sensitivity, specificity at ``threshold``; AUC and average precision (NaN with one class)."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(p_positive, dtype=float)
    pred = (p >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    pos, neg = y == 1, y == 0
    return {
        "f1": float(f1_score(y, pred, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "sensitivity": float(pred[pos].mean()) if pos.any() else float("nan"),
        "specificity": float(1 - pred[neg].mean()) if neg.any() else float("nan"),
        "auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "ap": float(average_precision_score(y, p)) if both else float("nan"),
        "n": len(y),
        "n_positive": int(pos.sum()),
    }


def youden_metrics(y_true, p_positive) -> dict[str, float]:
    """AUC, and F1, sensitivity, specificity at the threshold maximising Youden's J (XVFA's operating point)."""
    from sklearn.metrics import roc_curve

    y = np.asarray(y_true).astype(int)
    p = np.asarray(p_positive, dtype=float)
    if len(np.unique(y)) < 2:
        return {"auc": float("nan"), "threshold": float("nan"), "f1": float("nan"), "sensitivity": float("nan"),
                "specificity": float("nan"), "n": len(y), "n_positive": int(y.sum())}
    fpr, tpr, thresholds = roc_curve(y, p)
    best = int(np.argmax(tpr - fpr))
    threshold = float(min(thresholds[best], 1.0))
    pred = (p >= threshold).astype(int)
    return {"auc": float(roc_auc_score(y, p)), "threshold": threshold, "f1": float(f1_score(y, pred, zero_division=0)),
            "sensitivity": float(tpr[best]), "specificity": float(1 - fpr[best]), "n": len(y), "n_positive": int(y.sum())}


def multiclass_metrics(y_true, y_pred) -> dict[str, float]:
    """ProtoVerse's metrics: class-average accuracy (mean per-class recall), class-average F1 (macro F1
    over the classes present in ``y_true``) and sample accuracy."""
    from sklearn.metrics import balanced_accuracy_score

    y, pred = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    if not len(y):
        return {"class_accuracy": float("nan"), "class_f1": float("nan"), "sample_accuracy": float("nan"), "n": 0}
    present = np.unique(y)
    return {"class_accuracy": float(balanced_accuracy_score(y, pred)),
            "class_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)),
            "sample_accuracy": float(accuracy_score(y, pred)), "n": len(y)}
