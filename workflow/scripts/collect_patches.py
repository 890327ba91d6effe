"""Rule collect_patches: merge per-subject patch indexes into patches.parquet and all exclusions."""

from spinexai.data.collect import collect_patches
from spinexai.io.tables import EXCLUSIONS, PATCHES, read_table, write_table
from spinexai.workflow import as_list, run


def main(io):
    patches, exclusions = collect_patches(as_list(io.input.indexes), read_table(io.input.ingest_exclusions, EXCLUSIONS))
    write_table(patches, io.output.patches, PATCHES)
    write_table(exclusions, io.output.exclusions, EXCLUSIONS)


run(main, globals())
