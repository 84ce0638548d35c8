"""What every tab of the app shares: the engine over the open index, the feedback store, and a
lock so that only one upload is ingested at a time."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from rag_council import Engine
from rag_council.conversation import available_answerers
from rag_council.errors import ConfigError
from rag_council.feedback import FeedbackStore


class AppContext:
    def __init__(self, engine: Engine, work_dir: str | Path | None = None) -> None:
        self.engine = engine
        self.settings = engine.settings
        self.feedback = FeedbackStore.for_index(engine.index.directory)
        self.ingest_lock = threading.Lock()
        self._engines: dict[str, Engine] = {}
        self._engines_lock = threading.Lock()
        # Exports (drafts, feedback) are written here; Gradio serves them as downloads.
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="rag-council-app-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)

    def answerers(self) -> list[str]:
        return available_answerers(self.settings)

    def engine_for(self, answerer: str | None) -> Engine:
        """The engine answering with the chosen generator (same index and retriever), made once."""
        if not answerer or answerer == self.engine.generator.name:
            return self.engine
        if answerer not in self.answerers():
            raise ConfigError(f"The answerer '{answerer}' is not available here.", "Choose another one.")
        with self._engines_lock:
            if answerer not in self._engines:
                self._engines[answerer] = self.engine.with_generator(answerer)
            return self._engines[answerer]

    def committees(self) -> list[str]:
        names = {str(r.meta["committee"]) for r in self.engine.index.records() if r.meta.get("committee")}
        return sorted(names)

    def indexed_file(self, doc_id: str) -> tuple[Path, str] | None:
        """(path, format) of an indexed document: the only files the app will open."""
        for record in self.engine.index.records():
            if record.doc_id == doc_id:
                path = Path(record.path)
                return (path, record.format) if path.is_file() else None
        return None
