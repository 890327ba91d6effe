"""Predict runs: a trained run's models on new scans (results/predict)."""

from __future__ import annotations

from spinexai.io.schema import TableSchema, col

PREDICTIONS = TableSchema(
    "predictions", "results/predict/predictions.parquet",
    "A predict run's verdict on every included vertebra of the new data: every fold model of the trained run "
    "(predict.models) combined. Per-fold tables in the training run's shapes (split 'predict') lie beside it "
    "under classifier3d/, prototypes/<arm>/ and morphometry/keypoints/<arm>/.",
    (col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"), col("level", "string", "level name"),
     col("grade", "int64", "Genant grade of the new data's grade sheet; -1 when not graded (no sheet)"),
     col("fracture", "bool", "grade >= data.fracture_min_grade (False when not graded)"),
     col("folds", "int64", "3D classifier fold models that scored the vertebra"),
     col("p_fracture", "float64", "mean p(fracture) of the 3D classifier's fold models"),
     col("p_fracture_sd", "float64", "SD of p(fracture) over the fold models (population SD)"),
     col("p_fracture_min", "float64", "lowest fold model's p(fracture)"),
     col("p_fracture_max", "float64", "highest fold model's p(fracture)"),
     col("prediction", "bool", "p_fracture >= threshold"))
    + tuple(col(f"p_grade{g}", "float64", f"grade model's mean probability of G{g} over folds (NaN: not a class)") for g in range(4))
    + (col("predicted_grade", "int64", "grade with the highest fold-mean probability (the grade model's classes); -1: not scored"),
       col("kp_p_fracture", "float64", "keypoint model (XVFA): mean p(grade >= 1) over folds; NaN where not measured"),
       col("kp_p_moderate", "float64", "keypoint model: mean p(grade >= 2)"),
       col("kp_ha", "float64", "predicted anterior height, fold mean", "mm"),
       col("kp_hm", "float64", "predicted middle height, fold mean", "mm"),
       col("kp_hp", "float64", "predicted posterior height, fold mean", "mm"),
       col("kp_interval_mm", "float64", "mean half-width of the keypoints' quantile intervals, fold mean", "mm"),
       col("kp_point_error_mm", "float64", "mean distance of the predicted points to the mask-derived points", "mm"),
       col("kp_predicted_grade", "int64", "Genant grade of the fuzzy GSQ reading, the fold models' vote; -1: not measured"),
       col("kp_predicted_morphology", "string", "morphology of that reading, the fold models' vote"),
       col("mask_genant_grade", "int64",
          "the Genant rule on the masks' own heights (results/morphometry/heights.parquet); -1: not measured"),
       col("mask_genant_morphology", "string", "its morphology"),
       col("top_prototypes", "string", "explained fold's top-3 prototypes: 'p<index> G<grade> (similarity)'"),
       col("top_units", "string", "explained fold's most relevant enabled dissection units: 'u<unit> <concept>'"),
       col("threshold", "float64", "the 3D classifier's decision threshold (its model card)"),
       col("explain_fold", "int64", "fold whose models' explanations the case pages and NIfTI maps show (predict.explain_fold)")),
)

PREDICT_METRICS = TableSchema(
    "predict_metrics", "results/predict/metrics.parquet",
    "Every model of a predict run against the new data's grades (graded vertebrae only), and the keypoints against "
    "the mask-derived points. No rows when nothing is graded and no vertebra was measured.",
    (col("model", "string", "classifier3d, prototypes or keypoints"),
     col("fold", "int64", "fold model; -1 = the fold-mean verdict of predictions.parquet"),
     col("task", "string", "fracture (grade >= data.fracture_min_grade; keypoints: >= 1), moderate (>= 2), grade "
                          "(the grade model's classes) or points"),
     col("n", "int64", "vertebrae"), col("n_positive", "int64", "positives of the task (grade > 0 for 'grade')"),
     col("metric", "string", "auc, f1, sensitivity, specificity, accuracy, ap, class_f1, class_accuracy, "
                            "sample_accuracy, point_error_mm"),
     col("value", "float64", "the metric's value (keypoints' f1, sensitivity, specificity at the Youden threshold)")),
)
