"""Training callbacks. Files they write go inside the run folder."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from ..core.keras_env import keras
from ..core.base import Catalog, Entry

CALLBACKS = Catalog("callback", "early_stopping: {patience: 5}")


class Callback(Entry):
    def build(self, run_dir: Path):
        raise NotImplementedError


class Monitored(Callback):
    monitor: str = Field("val_loss", description="a logged quantity, e.g. val_loss, val_accuracy")
    mode: Literal["auto", "min", "max"] = "auto"


@CALLBACKS.register("early_stopping")
class EarlyStopping(Monitored):
    doc: ClassVar[str] = "stops when `monitor` has not improved for `patience` epochs"
    patience: int = Field(5, ge=0)
    min_delta: float = Field(0.0, ge=0)
    restore_best_weights: bool = True

    def build(self, run_dir):
        return keras().callbacks.EarlyStopping(**self.model_dump())


@CALLBACKS.register("reduce_lr_on_plateau")
class ReduceLROnPlateau(Monitored):
    factor: float = Field(0.1, gt=0, lt=1)
    patience: int = Field(10, ge=0)
    min_lr: float = Field(0.0, ge=0)

    def build(self, run_dir):
        return keras().callbacks.ReduceLROnPlateau(**self.model_dump())


@CALLBACKS.register("model_checkpoint")
class ModelCheckpoint(Monitored):
    doc: ClassVar[str] = "saves the best model so far as checkpoint.keras in the run folder"
    save_best_only: bool = True

    def build(self, run_dir):
        return keras().callbacks.ModelCheckpoint(str(run_dir / "checkpoint.keras"),
                                                 **self.model_dump())


@CALLBACKS.register("csv_logger")
class CSVLogger(Callback):
    doc: ClassVar[str] = "writes each epoch's logs to epochs.csv as training goes"

    def build(self, run_dir):
        # append: a run folder starts empty, and a resumed run continues the file
        return keras().callbacks.CSVLogger(str(run_dir / "epochs.csv"), append=True)


@CALLBACKS.register("tensorboard")
class TensorBoard(Callback):
    doc: ClassVar[str] = "logs for TensorBoard under tensorboard/ in the run folder"
    histogram_freq: int = Field(0, ge=0)

    def build(self, run_dir):
        return keras().callbacks.TensorBoard(str(run_dir / "tensorboard"),
                                             histogram_freq=self.histogram_freq)


CallbackRef = CALLBACKS.ref
