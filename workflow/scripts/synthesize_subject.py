"""Rule synthesize_subject: render one synthetic subject in the VerSe layout."""

from pathlib import Path

from spinexai.synthetic import SyntheticParams, write_subject
from spinexai.workflow import run


def main(io):
    params = SyntheticParams.from_dict(io.params.synthetic)
    root = Path(io.output.ct).parents[2]
    write_subject(root, params, io.wildcards.subject)


run(main, globals())
