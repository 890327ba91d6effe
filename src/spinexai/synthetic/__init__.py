"""The built-in synthetic spine CT cohort: VerSe layout plus ground truth for fractures and heights."""

from spinexai.synthetic.cohort import write_cohort_tables, write_subject
from spinexai.synthetic.params import SyntheticParams

__all__ = ["SyntheticParams", "write_cohort_tables", "write_subject"]
