"""Rule ingest: dataset -> manifest.parquet (one row per vertebra) and ingest_exclusions.parquet
(its exclusions; collect_patches merges them into exclusions.parquet)."""

import logging

from spinexai.data.ingest import IngestParams, ingest
from spinexai.io.tables import EXCLUSIONS, MANIFEST, write_table
from spinexai.workflow import run


def main(io):
    d = io.params.dataset
    params = IngestParams(mask_convention=d["mask_convention"], centroids=d["centroids"],
                          body_depth_fraction=d["body_depth_fraction"], **io.params.data)
    manifest, excluded = ingest(io.params.root, params, d.get("grades") or None, d.get("grade_sheet") or None)
    write_table(manifest, io.output.manifest, MANIFEST)
    write_table(excluded, io.output.ingest_exclusions, EXCLUSIONS)
    logging.getLogger("spinexai").info("%d vertebrae, %d included, %d exclusion rows",
                                       len(manifest), (manifest["status"] == "included").sum(), len(excluded))


run(main, globals())
