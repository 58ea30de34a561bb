"""`text: {path, level, window}`: a corpus for language models, as (window -> next token)."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from ...core.files import DATA_MAX, FileRefused, read_user_text
from ..errors import DataLoadError
from ..info import DataInfo
from ..files import PEEK_BYTES
from ..text import build_vocab, encode, tokenize, windows
from .base import SOURCES, Loaded, Source


@SOURCES.register("text")
class Text(Source):
    doc: ClassVar[str] = ("a plain-text corpus for language models: each example is a window "
                          "of tokens, its target the next token; the vocabulary is saved with "
                          "the run (vocab.json)")
    positional: ClassVar[str] = "path"
    sequential: ClassVar[bool] = True
    path: str = Field(..., description="UTF-8 text file, relative to the spec's folder")
    level: Literal["char", "word"] = "char"
    window: int = Field(40, ge=1, description="tokens the model sees to predict the next one")
    step: int = Field(1, ge=1, description="tokens between the starts of two windows")
    lowercase: bool = False
    max_vocab: int | None = Field(None, ge=2, description="word level: keep the most frequent "
                                                          "words, the rest become <unk>")

    def info(self):
        return DataInfo((self.window,), "integer", x_dtype="int32")

    def peek(self, base_dir, info):
        """A text up to a few MB is read at validate: enough tokens for the window, and
        the vocabulary size, which the output units and an embedding must cover."""
        file = self.file(base_dir, self.path)
        if file.stat().st_size > PEEK_BYTES:
            return info
        _, vocab = self._tokens(file)
        return info.with_(n_classes=len(vocab), x_max=len(vocab) - 1)

    def _tokens(self, file):
        try:
            text = read_user_text(file, DATA_MAX, "text file")
        except FileRefused as exc:
            self.fail(str(exc), "path")
        tokens = tokenize(text, self.level, self.lowercase)
        if len(tokens) <= self.window:
            self.fail(f"{file} has {len(tokens)} {self.level} tokens, not more than window "
                      f"{self.window}; use a longer text or a smaller window", "window")
        return tokens, build_vocab(tokens, self.max_vocab if self.level == "word" else None)

    def load(self, base_dir):
        file = self.file(base_dir, self.path)
        tokens, vocab = self._tokens(file)
        x, y = windows(encode(tokens, vocab), self.window, self.step)
        state = {"level": self.level, "lowercase": self.lowercase, "window": self.window,
                 "vocab": vocab}
        return Loaded(x, y, class_names=vocab, state=state)

    def read_input(self, path: Path, state: dict):
        """A text file -> its last window of tokens (the prompt to continue)."""
        try:
            text = read_user_text(path, DATA_MAX, "prompt file")
        except FileRefused as exc:
            raise DataLoadError(str(exc)) from None
        tokens = tokenize(text, state["level"], state["lowercase"])
        try:
            ids = encode(tokens, state["vocab"])
        except ValueError as exc:
            raise DataLoadError(f"{path}: {exc}; the model only knows its training vocabulary") from None
        window = state["window"]
        if len(ids) < window:
            raise DataLoadError(f"{path} has {len(ids)} tokens; the model needs a prompt of at "
                                f"least {window}")
        return ids[None, -window:], [str(path)]
