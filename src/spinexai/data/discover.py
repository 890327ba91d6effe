"""Finding subjects and their files in a VerSe-style (BIDS-like) dataset.

Accepts ``<root>/rawdata`` and split folders ``<root>/<split>/rawdata``; files are matched by subject
and entities (``split-``, ``dir-``, ...), not by fixed names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from spinexai.errors import InputError

_CT = re.compile(r"^sub-(?P<sub>[A-Za-z0-9]+)(?P<ents>(?:_[a-zA-Z]+-[A-Za-z0-9]+)*)_ct\.nii(?:\.gz)?$")
_ENTITY = re.compile(r"_([a-zA-Z]+)-([A-Za-z0-9]+)")


@dataclass(frozen=True)
class SubjectFiles:
    subject: str
    series: str  # value of the split- entity, '' if none
    entities: str  # the entity part of the file names, e.g. '_dir-ax'
    split_folder: str
    ct: Path
    mask: Path | None
    body: Path | None
    centroids: Path | None
    fracture: Path | None
    truth: Path | None

    @property
    def key(self) -> str:
        return self.subject + (f"_split-{self.series}" if self.series else "")


def _first(folder: Path, prefix: str, suffixes: tuple[str, ...]) -> Path | None:
    for suffix in suffixes:
        candidate = folder / f"{prefix}{suffix}"
        if candidate.exists():
            return candidate
    return None


def discover(root: str | Path) -> list[SubjectFiles]:
    """All CT series under ``root`` with their derivatives.

    Raises:
        InputError: the root has no ``rawdata`` folder or no CT images, or a subject/series occurs twice.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, None, "dataset folder not found")
    raw_dirs = ([root / "rawdata"] if (root / "rawdata").is_dir() else []) + sorted(
        p / "rawdata" for p in root.iterdir() if p.is_dir() and (p / "rawdata").is_dir())
    if not raw_dirs:
        raise InputError(root, "rawdata", "no 'rawdata' folder (expected <root>/rawdata or <root>/<split>/rawdata)")
    found: dict[str, SubjectFiles] = {}
    for raw in raw_dirs:
        split_folder = raw.parent.name if raw.parent != root else ""
        derivatives = raw.parent / "derivatives"
        for ct in sorted(raw.glob("sub-*/*_ct.nii*")):
            match = _CT.match(ct.name)
            if not match:
                continue
            subject, ents = match["sub"], match["ents"] or ""
            entities = dict(_ENTITY.findall(ents))
            prefix = f"sub-{subject}{ents}"
            der = derivatives / f"sub-{subject}"
            nii = (".nii.gz", ".nii")
            files = SubjectFiles(
                subject=subject, series=entities.get("split", ""), entities=ents, split_folder=split_folder, ct=ct,
                mask=_first(der, f"{prefix}_seg-vert_msk", nii),
                body=_first(der, f"{prefix}_seg-body_msk", nii) or _first(der, f"{prefix}_seg-subreg_msk", nii),
                centroids=_first(der, f"{prefix}_seg-subreg_ctd", (".json",)) or _first(der, f"{prefix}_seg-vert_ctd", (".json",)),
                fracture=_first(der, f"{prefix}_seg-fx_msk", nii),
                truth=_first(der, f"{prefix}_morphometry", (".json",)),
            )
            key = files.key + ents.replace(f"_split-{files.series}", "")
            if key in found:
                raise InputError(ct, "subject", f"subject {subject!r} (entities {ents or 'none'}) also at {found[key].ct}; "
                                                "each subject/series may appear once")
            found[key] = files
    if not found:
        raise InputError(root, "rawdata", "no CT images named sub-<id>[_<entity>-<value>...]_ct.nii[.gz]")
    return list(found.values())
