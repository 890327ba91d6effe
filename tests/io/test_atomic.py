"""Atomic writes: the target appears whole, with the permissions a plain open() would give it."""

from __future__ import annotations

import os
import stat

from spinexai.io.atomic import atomic_dir, write_text_atomic


def test_atomic_files_and_folders_get_the_umask_permissions_not_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        import importlib

        import spinexai.io.atomic as atomic

        importlib.reload(atomic)  # the module reads the umask once
        atomic.write_text_atomic(tmp_path / "a.txt", "x")
        with atomic.atomic_dir(tmp_path / "d") as staging:
            (staging / "f").write_text("y")
        assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
        assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755
    finally:
        os.umask(old)
        importlib.reload(atomic)


def test_write_text_atomic_replaces_the_whole_file(tmp_path):
    target = tmp_path / "t.txt"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]
    with atomic_dir(tmp_path / "folder") as staging:
        (staging / "x").write_text("1")
    assert (tmp_path / "folder" / "x").read_text() == "1"
