"""Rule reformat_subject: spline, 96^3 patches and 224^2 sagittal reformations of one subject."""

from pathlib import Path

from spinexai.geometry.reformat import ReformatParams, reformat_subject
from spinexai.io.atomic import write_atomic
from spinexai.io.tables import MANIFEST, SPLINE, read_table, write_table
from spinexai.workflow import run


def main(io):
    manifest = read_table(io.input.manifest, MANIFEST)
    rows = manifest[manifest["subject"] == io.wildcards.subject]
    patches, spline = reformat_subject(rows, Path(io.output.folder), ReformatParams.from_dict(io.params.reformat))
    write_table(spline, io.output.spline, SPLINE)
    write_atomic(io.output.index, lambda tmp: patches.to_parquet(tmp, index=False))


run(main, globals())
