"""Smaller edges (issue 16.6): no terminal control sequences from the CLI, no BrokenPipe
traceback under `| head`, symbolic link loops and unreadable folders in the skip report, skip
messages that name the file once."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag_council.cli import main
from rag_council.ingest import discover
from rag_council.terminal import printable
from rag_council.types import SkippedFile
from tests.faults.test_writers_and_crashes import _env, _write_docs

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\x9b2J\x07\x08\r"


def test_printable_removes_escape_sequences_and_keeps_text() -> None:
    text = f"Was the £250,000 grant – to Zoë's café – approved?\tyes\n{ESCAPES}end"
    shown = printable(text)
    assert "\x1b" not in shown and "\x9b" not in shown and "\x07" not in shown and "\x08" not in shown
    assert "pwned" not in shown  # an OSC title is dropped whole, not shown as text
    assert shown.startswith("Was the £250,000 grant – to Zoë's café – approved?\tyes\n")
    assert shown.endswith("redend")


def test_the_cli_echo_of_a_question_carries_no_escapes(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RAG_COUNCIL_INDEX_ROOT", str(tmp_path / "idx"))
    monkeypatch.setenv("RAG_COUNCIL_EMBEDDER__KIND", "hash")
    folder = _write_docs(tmp_path / "d", ["north", "south"])[0].parent
    assert main(["ingest", str(folder), "--index", "e", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["ask", f"{ESCAPES}What was the libraries budget for north?", "--index", "e"]) == 0
    out = capsys.readouterr().out
    assert "Q: " in out and "What was the libraries budget" in out
    assert not any(ch in out for ch in "\x1b\x9b\x07\x08"), repr(out[:200])


@pytest.mark.slow
def test_documents_into_a_closed_pipe_prints_no_traceback(tmp_path: Path) -> None:
    root = tmp_path / "idx"
    folder = _write_docs(tmp_path / "d", [f"ward{i}" for i in range(6)], paragraphs=2)[0].parent
    made = subprocess.run(
        [sys.executable, "-m", "rag_council.cli", "ingest", str(folder), "--index", "p", "--no-progress"],
        env=_env(root),
        capture_output=True,
        timeout=240,
    )
    assert made.returncode == 0, made.stderr
    shell = f"{sys.executable} -m rag_council.cli documents --index p | head -n 1"
    done = subprocess.run(["bash", "-c", shell], env=_env(root), capture_output=True, text=True, timeout=240)
    assert done.stdout.startswith("Index 'p'") and "Traceback" not in done.stderr, done.stderr
    assert "BrokenPipe" not in done.stderr
    # The reader gone before anything is written: still quiet.
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag_council.cli", "documents", "--index", "p"],
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=240)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err


def test_symbolic_link_loops_and_dangling_links_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "minutes.txt").write_text("Minutes.", encoding="utf-8")
    (root / "sub" / "back").symlink_to(root, target_is_directory=True)  # a loop through a folder
    (root / "a.txt").symlink_to(root / "b.txt")
    (root / "b.txt").symlink_to(root / "a.txt")  # a loop between two links
    (root / "gone.txt").symlink_to(root / "nowhere.txt")
    found = discover([root])
    assert [name for _, name in found.files] == ["sub/minutes.txt"]
    reasons = {Path(s.path).name: s.reason for s in found.skipped}
    assert "loop" in reasons["back"]
    assert "loop" in reasons["a.txt"] and "loop" in reasons["b.txt"]
    assert "points to" in reasons["gone.txt"]


def test_an_unreadable_folder_is_reported(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "docs"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "secret.txt").write_text("x", encoding="utf-8")
    (root / "open.txt").write_text("Minutes.", encoding="utf-8")
    real = os.scandir

    def scandir(path):  # root can read any folder: a folder that refuses, as for another user
        if Path(path).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover([root])
    assert [name for _, name in found.files] == ["open.txt"]
    assert any(Path(s.path).name == "locked" and "permission denied" in s.reason for s in found.skipped)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_reported_for_real(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "locked").mkdir(parents=True)
    (root / "locked").chmod(0)
    try:
        found = discover([root])
    finally:
        (root / "locked").chmod(0o755)
    assert any("permission denied" in s.reason for s in found.skipped)


def test_a_skip_message_names_the_file_once() -> None:
    assert SkippedFile("papers/x.pdf", "x.pdf: the PDF is encrypted.").reason == "the PDF is encrypted."
    assert SkippedFile("papers/x.pdf", "papers/x.pdf: empty").reason == "empty"
    assert SkippedFile("x.txt", "unsupported file type").reason == "unsupported file type"
