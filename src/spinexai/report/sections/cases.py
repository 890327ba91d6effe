"""The selected cases, each linking to its page."""

from __future__ import annotations

from spinexai.report.model import Block, Link, Section


def cases_section(report) -> Section:
    section = Section("cases", "Cases")
    if report.cases is None:
        section.empty = {"message": "No cases were selected (the classifier has not run)."}
        return section
    rows = report.cases.copy()
    rows["page"] = [Link(f"cases/{report.case_page_name(c)}", f"{c.subject} {c.level}") for c in rows.itertuples()]
    section.blocks.append(Block(
        text="Vertebrae explained one by one: the config's cases.list plus, per fold, the most confident true "
             "positives, false positives and missed fractures. Open a case to see why it was called fractured.",
        table=rows[["page", "fold", "grade", "fracture", "split", "probability", "outcome", "reason"]]))
    return section
