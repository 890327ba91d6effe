"""The reader-study kit of the ProtoVerse paper (section 5.4): one page per G2/G3 test case with its
top-3 prototypes and heatmaps and the paper's two yes/no questions, a CSV form per rater, and a scorer
for the Table 4 analogue (a case counts 'yes' when 2 of its 3 prototypes are marked 'yes').

``python -m spinexai.prototypes.reader score FORM.csv [FORM.csv ...] --out table4.csv`` scores filled forms.
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

import numpy as np
import pandas as pd

from spinexai.errors import InputError
from spinexai.io.atomic import atomic_path

QUESTIONS = {
    "relevant": "Is this retrieved prototype relevant in explaining the fracture grade of the test image (prototype relevance)?",
    "similar": "Are the highest activated parts of the test image visually similar to the highest activated parts of "
               "the prototype (visual similarity)?",
}
FORM_COLUMNS = ["case", "subject", "label", "level", "rank", "prototype", "prototype_grade", "relevant", "similar", "comment"]
YES, NO = {"yes", "y", "1", "true"}, {"no", "n", "0", "false"}


def blank_form(top: pd.DataFrame) -> pd.DataFrame:
    """One row per (case, top prototype) with empty answer columns; the true grade is left out so that
    raters judge the explanation, not the label."""
    form = top.sort_values(["case", "rank"])[["case", "subject", "label", "level", "rank", "prototype", "prototype_grade"]]
    return form.assign(relevant="", similar="", comment="")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def case_page(case: str, level: str, figure: str, top: pd.DataFrame, previous: str | None, following: str | None) -> str:
    rows = "".join(f"<tr><td>{int(r.rank)}</td><td>p{int(r.prototype)} (G{int(r.prototype_grade)})</td>"
                   f"<td>{r.similarity:.3f}</td></tr>" for r in top.itertuples())
    questions = "".join(f"<li>{html.escape(q)} <em>(answer yes/no per prototype in the '{k}' column)</em></li>"
                        for k, q in QUESTIONS.items())
    nav = " ".join(x for x in (f'<a href="{previous}.html">previous</a>' if previous else "",
                               '<a href="index.html">all cases</a>',
                               f'<a href="{following}.html">next</a>' if following else "") if x)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(case)}</title></head><body>"
            f"<h1>Case {html.escape(case)} ({html.escape(level)})</h1><p>{nav}</p>"
            f"<img src='{html.escape(figure)}' alt='case {html.escape(case)} with its top-3 prototypes' style='max-width:100%'>"
            f"<p>Top row: the test image and each prototype's similarity heatmap on it. Bottom row: the training image "
            f"each prototype was projected onto, with the box enclosing the top 2% of its similarity.</p>"
            f"<table border='1' cellpadding='4'><tr><th>rank</th><th>prototype</th><th>similarity</th></tr>{rows}</table>"
            f"<h2>Questions</h2><ol>{questions}</ol></body></html>")


def index_page(cases: list[tuple[str, str]], raters: int, fold: int, arm: str) -> str:
    items = "".join(f"<li><a href='{c}.html'>{html.escape(c)}</a> ({html.escape(level)})</li>" for c, level in cases)
    forms = "".join(f"<li><a href='forms/rater{r + 1}.csv'>forms/rater{r + 1}.csv</a></li>" for r in range(raters))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Reader study</title></head><body>"
            f"<h1>Reader study: prototype explanations</h1><p>{len(cases)} G2/G3 test cases explained by the '{arm}' "
            f"model of fold {fold}. For every case and each of its three prototypes, answer the two questions in your "
            f"form (yes/no), then score all forms with <code>python -m spinexai.prototypes.reader score "
            f"forms/*.csv --out table4.csv</code>.</p><h2>Forms</h2><ul>{forms}</ul><h2>Cases</h2><ul>{items}</ul>"
            f"</body></html>")


def build_reader_kit(out_dir: str | Path, cases: pd.DataFrame, top: pd.DataFrame, images: np.ndarray, heats: np.ndarray,
                     projection: pd.DataFrame, projection_images: np.ndarray, raters: int, fold: int, arm: str) -> None:
    """Write the kit: ``index.html``, one page and figure per case, ``cases.csv`` (with the true grades,
    for the scorer) and ``forms/rater<k>.csv``.

    ``cases`` rows (case, subject, label, level, grade) match ``images`` (N, S, S) and ``heats``
    (N, 3, S, S, the upsampled maps of each case's top-3 prototypes); ``top`` has the case's prototypes.
    """
    from spinexai.prototypes.figures import case_figure

    out = Path(out_dir)
    by_prototype = projection.set_index("prototype")
    names = cases["case"].tolist()
    for n, case in enumerate(cases.itertuples()):
        mine = top[top["case"] == case.case].sort_values("rank")
        sources = []
        for j in mine["prototype"]:
            src = by_prototype.loc[int(j)]
            image, heat = projection_images[int(src.image_index)].astype(np.float32)
            sources.append((image, heat, (src.box_row0, src.box_row1, src.box_col0, src.box_col1)))
        titles = [f"#{int(r.rank)} p{int(r.prototype)} (G{int(r.prototype_grade)})\nsimilarity {r.similarity:.2f}"
                  for r in mine.itertuples()]
        case_figure(images[n], list(heats[n][:len(mine)]), titles, out / f"{case.case}.png", sources)
        write_text(out / f"{case.case}.html", case_page(case.case, case.level, f"{case.case}.png", mine,
                                                         names[n - 1] if n else None,
                                                         names[n + 1] if n + 1 < len(names) else None))
    with atomic_path(out / "cases.csv") as tmp:
        cases[["case", "subject", "label", "level", "grade"]].to_csv(tmp, index=False)
    form = blank_form(top)
    for r in range(raters):
        (out / "forms").mkdir(parents=True, exist_ok=True)
        with atomic_path(out / "forms" / f"rater{r + 1}.csv") as tmp:
            form[FORM_COLUMNS].to_csv(tmp, index=False)
    write_text(out / "index.html", index_page(list(zip(names, cases["level"], strict=True)), raters, fold, arm))


def _answer(value, path: Path, row: int, column: str) -> bool | None:
    text = str(value).strip().lower() if not (isinstance(value, float) and np.isnan(value)) else ""
    if text in YES:
        return True
    if text in NO:
        return False
    if text == "":
        return None
    raise InputError(path, column, f"row {row + 2}: '{value}' is not yes or no")


def score_forms(forms: list[str | Path], truth: pd.DataFrame) -> pd.DataFrame:
    """Table 4 analogue: per rater and grade (and in total), the fraction of cases whose top-3 prototypes
    got at least 2 'yes' answers, per question; unanswered cases are counted and left out."""
    rows = []
    grades = truth.set_index("case")["grade"]
    for path in map(Path, forms):
        if not path.is_file():
            raise InputError(path, None, "no such form")
        form = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = [c for c in ("case", "relevant", "similar") if c not in form.columns]
        if missing:
            raise InputError(path, missing[0], "missing column (use the blank form the kit wrote)")
        unknown = sorted(set(form["case"]) - set(grades.index))
        if unknown:
            raise InputError(path, "case", f"'{unknown[0]}' is not a case of this reader kit")
        for question in QUESTIONS:
            form[question] = [_answer(v, path, n, question) for n, v in enumerate(form[question])]
        for question in QUESTIONS:
            answered = form.groupby("case")[question].apply(lambda s: s.notna().all())
            yes = form.groupby("case")[question].apply(lambda s: sum(bool(v) for v in s if v is not None) >= 2)
            cases = pd.DataFrame({"answered": answered, "yes": yes}).join(grades)
            for grade, part in [*cases.groupby("grade"), ("total", cases)]:
                done = part[part["answered"]]
                rows.append({"rater": path.stem, "question": question, "grade": str(grade if grade == "total" else f"G{grade}"),
                             "fraction_yes": float(done["yes"].mean()) if len(done) else float("nan"),
                             "cases": len(done), "unanswered": int((~part["answered"]).sum())})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Score filled reader-study forms (Table 4 analogue).")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser("score")
    score.add_argument("forms", nargs="+")
    score.add_argument("--cases", default=None, help="cases.csv of the kit (default: next to the first form's folder)")
    score.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    cases_path = Path(args.cases) if args.cases else Path(args.forms[0]).resolve().parent.parent / "cases.csv"
    if not cases_path.is_file():
        raise SystemExit(f"{cases_path}: the kit's cases.csv was not found (give --cases)")
    try:
        table = score_forms(args.forms, pd.read_csv(cases_path, dtype={"case": str}))
    except InputError as err:
        raise SystemExit(str(err)) from None
    out = Path(args.out)
    with atomic_path(out) as tmp:
        (table.to_parquet(tmp, index=False) if out.suffix == ".parquet" else table.to_csv(tmp, index=False))
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
