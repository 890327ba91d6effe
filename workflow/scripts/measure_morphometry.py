"""Rule measure_morphometry: six-point heights from the body masks of every included vertebra."""


from spinexai.io.tables import MORPHOMETRY, PATCHES, SPLINE, read_table, write_table
from spinexai.morphometry.table import morphometry_table
from spinexai.workflow import as_list, run


def main(io):
    patches = read_table(io.input.patches, PATCHES)
    splines = {}
    for path in as_list(io.input.splines):
        spline = read_table(path, SPLINE)
        if len(spline):
            splines[str(spline["subject"].iloc[0])] = spline
    r = io.params.reformat
    table = morphometry_table(patches, splines, size=r["sagittal_size"], spacing=r["sagittal_spacing_mm"])
    write_table(table, io.output.heights, MORPHOMETRY)


run(main, globals())
