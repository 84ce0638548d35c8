"""Walking folders for ingest without losing anything silently: every file below a folder,
following symbolic links to folders once, and a reason for each thing that cannot be walked
(a symbolic link loop, a dangling link, a folder that cannot be read). Hidden files and folders
(.git, .DS_Store) are left out, as before.

walk(folder) -> (files, skipped)"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from rag_council.types import SkippedFile


def walk(folder: Path) -> tuple[list[Path], list[SkippedFile]]:
    """The files below `folder` (sorted), and what could not be walked, with the reason."""
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    seen: set[tuple[int, int]] = set()

    def visit(directory: Path, chain: tuple[tuple[int, int], ...]) -> None:
        try:
            st = directory.stat()
        except OSError as exc:
            skipped.append(SkippedFile(str(directory), _why(exc, "folder")))
            return
        key = (st.st_dev, st.st_ino)
        if key in chain:
            skipped.append(
                SkippedFile(
                    str(directory), "symbolic link loop (it leads back to a folder above it); not followed"
                )
            )
            return
        if key in seen:
            return  # reached twice through links: read once
        seen.add(key)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(SkippedFile(str(directory), _why(exc, "folder")))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows links
                is_file = entry.is_file()
            except OSError as exc:
                skipped.append(SkippedFile(str(path), _why(exc, "file")))
                continue
            if is_dir:
                visit(path, (*chain, key))
            elif is_file:
                files.append(path)
            elif entry.is_symlink():
                skipped.append(SkippedFile(str(path), dangling(path)))
            # sockets, fifos, devices: not documents, and not worth a line

    visit(Path(folder), ())
    return sorted(files), skipped


def _why(exc: OSError, what: str) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not followed"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot read this {what}: permission denied"
    return f"cannot read this {what}: {exc.strerror or exc}"


def dangling(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop; not followed"
        return f"symbolic link to nothing (points to {os.readlink(path)})"
    return "not a regular file"
