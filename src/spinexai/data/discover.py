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
_LOOKS_LIKE_CT = re.compile(r"(_ct\.|\.nii(\.gz)?$)", re.IGNORECASE)
_CT_NAME = "sub-<id>[_<entity>-<value>...]_ct.nii[.gz]"


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


@dataclass(frozen=True)
class UnusableFile:
    """A file under ``rawdata/`` that looks like a CT but cannot be used."""

    path: Path
    subject: str  # the subject ID as the name (or its folder) spells it, '' if none
    reason: str


def _bad_characters(text: str) -> str:
    bad = sorted({c for c in text if not (c.isascii() and c.isalnum())})
    return ", ".join(repr(c) for c in bad)


def _why_unusable(path: Path, raw: Path) -> tuple[str, str]:
    """(subject as written, reason) for a CT-like file that the discovery pattern does not accept."""
    name = path.name
    folder = path.parent.name if path.parent.parent == raw else ""
    subject = name[4:].split("_")[0] if name.startswith("sub-") else folder.removeprefix("sub-") if folder.startswith("sub-") else ""
    if subject.endswith((".nii", ".nii.gz")):
        subject = subject.removesuffix(".gz").removesuffix(".nii")
    if name.startswith("."):
        return subject, f"hidden file {name!r} (e.g. a macOS '._' copy); expected {_CT_NAME}"
    if not re.search(r"_ct\.nii(\.gz)?$", name):
        return subject, f"name {name!r} does not end in '_ct.nii.gz' or '_ct.nii' ({_CT_NAME})"
    if not name.startswith("sub-"):
        return subject, f"name {name!r} does not start with 'sub-<id>' ({_CT_NAME})"
    if not subject or _bad_characters(subject):
        bad = _bad_characters(subject)
        return subject, (f"subject ID {subject!r} in {name!r} has characters {bad} that are not allowed (BIDS labels are ASCII "
                         "letters and digits only); rename the file and its folders" if bad else f"empty subject ID in {name!r}")
    if not _CT.match(name):
        ents = name[4 + len(subject):].removesuffix(".gz").removesuffix(".nii").removesuffix("_ct")
        return subject, f"entities {ents!r} in {name!r} are not '_<key>-<value>' pairs of ASCII letters and digits"
    return subject, f"not directly in a subject folder <rawdata>/sub-{subject}/ (found at {path.relative_to(raw)})"


def _first(folder: Path, prefix: str, suffixes: tuple[str, ...]) -> Path | None:
    for suffix in suffixes:
        candidate = folder / f"{prefix}{suffix}"
        if candidate.exists():
            return candidate
    return None


def discover(root: str | Path) -> list[SubjectFiles]:
    """All CT series under ``root`` with their derivatives (see :func:`discover_all`)."""
    return discover_all(root)[0]


def discover_all(root: str | Path) -> tuple[list[SubjectFiles], list[UnusableFile]]:
    """All CT series under ``root`` with their derivatives, and every CT-like file under a ``rawdata``
    folder that cannot be used, with the reason.

    Raises:
        InputError: the root has no ``rawdata`` folder or no usable CT images, or a subject/series occurs twice.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, None, "dataset folder not found")
    raw_dirs = ([root / "rawdata"] if (root / "rawdata").is_dir() else []) + sorted(
        p / "rawdata" for p in root.iterdir() if p.is_dir() and (p / "rawdata").is_dir())
    if not raw_dirs:
        raise InputError(root, "rawdata", "no 'rawdata' folder (expected <root>/rawdata or <root>/<split>/rawdata)")
    found: dict[str, SubjectFiles] = {}
    unusable: list[UnusableFile] = []
    for raw in raw_dirs:
        split_folder = raw.parent.name if raw.parent != root else ""
        derivatives = raw.parent / "derivatives"
        for ct in sorted(p for p in raw.rglob("*") if _LOOKS_LIKE_CT.search(p.name) and p.is_file()):
            match = _CT.match(ct.name)
            if not match or not (ct.parent.parent == raw and ct.parent.name.startswith("sub-")):
                unusable.append(UnusableFile(ct, *_why_unusable(ct, raw)))
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
        listed = "".join(f"; {u.path}: {u.reason}" for u in unusable[:5]) + ("; ..." if len(unusable) > 5 else "")
        raise InputError(root, "rawdata", f"no CT images named {_CT_NAME}"
                                          + (f" ({len(unusable)} CT-like files cannot be used{listed})" if unusable else ""))
    return list(found.values()), unusable
