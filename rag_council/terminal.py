"""What the CLI prints is text, never terminal commands: escape sequences (window title, clear
screen, colours, cursor moves, hyperlinks) and other control characters in a question, an
answer or a document's title are removed before they reach the terminal.

`printable(text)` is the filter; `SafeStream` wraps a text stream with it (the CLI wraps
stdout); `quiet_broken_pipe()` ends the process quietly when the reader of stdout has gone
(`rag-council documents | head`)."""

from __future__ import annotations

import os
import re
import sys
from typing import Any, TextIO

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC
# (ESC P/X/^/_ ... ST), and two-character escapes; then the 8-bit CSI/OSC forms; then any
# other C0 control (but tab and newline), DEL and C1 control.
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` without terminal escape sequences and control characters (tab and newline kept;
    a carriage return becomes a newline when it ends a line, else nothing)."""
    text = _SEQUENCES.sub("", text)
    text = text.replace("\r\n", "\n")
    return _CONTROLS.sub("", text)


class SafeStream:
    """A text stream that writes `printable` text to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def quiet_broken_pipe() -> int:
    """After a BrokenPipeError on stdout: point stdout at /dev/null (so that the interpreter's
    final flush does not raise again) and return the exit status of a process killed by
    SIGPIPE."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 141
