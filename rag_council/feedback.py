"""Feedback on answers: thumbs up or down and an optional comment, stored locally as JSON Lines
(indexes/<name>/feedback.jsonl by default) with the question, the answer and its sources, so that
evaluators can read it back or export it."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag_council.types import Answer

_LOCK = threading.Lock()


class FeedbackStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_index(cls, index_dir: str | Path) -> FeedbackStore:
        return cls(Path(index_dir) / "feedback.jsonl")

    def record(
        self,
        answer: Answer | dict[str, Any],
        rating: str,
        comment: str = "",
        *,
        index: str = "",
        answerer: str = "",
        asked: str = "",
    ) -> dict[str, Any]:
        """Append one entry. `rating` is "up", "down" or "" (a comment alone)."""
        if rating not in ("up", "down", ""):
            raise ValueError(f"rating must be 'up', 'down' or '', not {rating!r}")
        data = answer.to_json() if isinstance(answer, Answer) else dict(answer)
        entry = {
            "id": uuid.uuid4().hex[:12],
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "index": index,
            "answerer": answerer,
            "rating": rating,
            "comment": comment.strip()[:5000],
            "question": data.get("question", ""),
            "asked": asked or data.get("question", ""),
            "answer": data.get("answer", ""),
            "abstained": data.get("abstained", False),
            "sources": [
                {k: c.get(k) for k in ("marker", "chunk_id", "document", "label", "page", "quote")}
                for c in data.get("citations", [])
            ]
            or [
                {"rank": h.get("rank"), "chunk_id": h.get("chunk_id"), "document": h.get("document")}
                for h in data.get("retrieved", [])[:5]
            ],
        }
        line = json.dumps(entry, ensure_ascii=False)
        with _LOCK:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        return entry

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a torn last line must not hide the rest
        return out

    def export(self, target: str | Path) -> Path:
        """A copy for evaluators (JSON Lines, one entry per line)."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        entries = self.entries()
        target.write_text(
            "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8"
        )
        return target
