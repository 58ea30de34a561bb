"""The spec language, format 1: the top-level sections and their fields."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ..catalog.callbacks import CallbackRef
from ..catalog.layers import LayerRef
from ..catalog.losses import LossRef
from ..catalog.metrics import MetricRef
from ..catalog.optimizers import OptimizerRef
from ..data.augment import AugmentRef
from ..data.preprocess import StepRef
from ..data.sources import SourceRef
from pydantic_core import PydanticCustomError

from ..core.base import Strict, did_you_mean, fail, fail_at, reraise
from .sweep import SweepSpec

FORMAT_VERSION = 1
Shape = list[int | None]
LECTURES = tuple(f"L{n:02d}" for n in range(1, 43))  # ../shared/lectures.md: L01..L42


def unknown_lecture(word) -> str:
    """'L4' -> "unknown lecture 'L4'; did you mean 'L04'?" (difflib would tie L04 with L14
    and L41); 'L99' -> "...; the course's lectures are L01..L42"."""
    digits = str(word).strip().upper().removeprefix("L")
    if digits.isdigit() and f"L{int(digits):02d}" in LECTURES:
        return f"unknown lecture '{word}'; did you mean 'L{int(digits):02d}'?"
    return f"unknown lecture '{word}'; the course's lectures are {LECTURES[0]}..{LECTURES[-1]}"


class SplitSpec(Strict):
    validation: float = Field(0.2, ge=0, lt=1, description="fraction held out for validation")
    test: float | Literal["auto"] | None = Field(
        "auto",
        description="fraction held out for testing; auto: the source's own test split if it "
                    "has one (keras data sets), else 0.2; null: the source's own split or none")
    stratify: bool | Literal["auto"] = Field(
        "auto", description="keep class proportions in every split (auto: for class labels)")
    shuffle: bool = Field(True, description="false: split in order (first train, then "
                                            "validation, then test)")
    chronological: bool | Literal["auto"] = Field(
        "auto", description="split in time order, never shuffled across a split point "
                            "(auto: for time series and text)")

    @field_validator("test")
    @classmethod
    def _fraction(cls, v):
        if isinstance(v, (int, float)) and not 0 <= v < 1:
            raise ValueError(f"a fraction from 0 up to (not including) 1, or auto; got {v}")
        return v

    @model_validator(mode="after")
    def _room_left(self):
        test = self.test if isinstance(self.test, (int, float)) else 0
        if test + self.validation >= 1:
            raise ValueError("validation + test must leave some data for training")
        return self


class DataSpec(Strict):
    source: SourceRef = Field(..., description="where the examples come from")
    preprocess: list[StepRef] = Field(default_factory=list,
                                      description="ordered steps, fit on the training split")
    split: SplitSpec = Field(default_factory=SplitSpec)
    augment: list[AugmentRef] = Field(
        default_factory=list, description="random image changes (random_flip, random_rotation, "
        "random_zoom, random_translation, random_contrast) on training batches only")


class BlockDef(Strict):
    """A named, reusable list of layers: `$name` values stand for its params, given by
    each `- use: {block: NAME, args: {...}}`. Plain data; substituted, never evaluated."""

    params: dict[str, Any] = Field(default_factory=dict,
                                   description="parameter -> default; write $parameter in layers")
    layers: list[Any] = Field(..., min_length=1, description="the block's layers")


class ModelSpec(Strict):
    key_hints: ClassVar[dict] = {"input_shape": "; the shape of one example is model.input, "
                                                "e.g. input: [28, 28, 1]"}
    input: Shape | dict[str, Shape] = Field(
        ..., description="shape of one example, e.g. [28, 28, 1]; or name -> shape")
    blocks: dict[str, BlockDef] = Field(
        default_factory=dict, description="reusable blocks by name; use one with "
        "`- use: {block: NAME, args: {...}, name: x}`")
    layers: list[LayerRef] = Field(..., min_length=1)
    outputs: list[str] | None = Field(None, description="output layer names (default: the last)")
    trainable: bool = Field(True, description="false freezes every layer of this network "
                            "(a pretrained base, a fixed feature extractor)")

    @field_validator("input")
    @classmethod
    def _positive(cls, v):
        if isinstance(v, dict) and not v:
            raise ValueError("name at least one input, e.g. {image: [28, 28, 1]}, or give "
                             "one shape, e.g. [28, 28, 1]")
        shapes = v.values() if isinstance(v, dict) else [v]
        for s in shapes:
            if not s or any(d is not None and d <= 0 for d in s):
                raise ValueError("an input shape is a list of positive sizes, e.g. [28, 28, 1]")
        return v

    @field_validator("outputs", mode="before")
    @classmethod
    def _one_output(cls, v):
        return [v] if isinstance(v, str) else v

    def input_shapes(self) -> dict[str, tuple]:
        if isinstance(self.input, dict):
            return {k: tuple(v) for k, v in self.input.items()}
        return {"input": tuple(self.input)}


class DistributeSpec(Strict):
    """How training spreads over devices (tf.distribute); the README's "Scaling out"."""
    strategy: Literal["default", "one_device", "mirrored", "multi_worker"] = Field(
        "default", description="default: one device, as Keras picks it; mirrored: every local "
        "GPU (or `devices`); multi_worker: the workers of TF_CONFIG, several machines "
        "(task supervised)")
    devices: list[str] | None = Field(
        None, description="mirrored/one_device: the devices, e.g. [/gpu:0, /gpu:1] "
                          "(default: every GPU, else the CPU)")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v):
        return {"strategy": v} if isinstance(v, str) else v  # `distribute: mirrored`


class TrainSpec(Strict):
    loss: LossRef = Field(..., description="what training minimises")
    optimizer: OptimizerRef = Field("adam", description="how the weights are updated")
    metrics: list[MetricRef] = Field(default_factory=list)
    epochs: int = Field(10, ge=1, le=100_000)
    batch_size: int = Field(32, ge=1)
    callbacks: list[CallbackRef] = Field(default_factory=list)
    shuffle: bool = True
    # speed only: none of these changes what is learned (README "Fast fit")
    steps_per_execution: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        "auto", description="training steps per call into TensorFlow; auto: kspec's rule "
                            "(README, Fast fit)")
    jit_compile: bool | Literal["auto"] = Field(
        "auto", description="compile the steps with XLA; auto: Keras decides (GPU only)")
    mixed_precision: bool = Field(
        False, description="float16 maths, float32 weights: faster on recent GPUs; on a CPU "
                           "kspec trains in float32 and says so")
    distribute: DistributeSpec = Field(default_factory=DistributeSpec)


class OutputTrain(Strict):
    """How one of several outputs trains: `train.outputs.NAME: {loss, weight, metrics}`."""
    loss: LossRef = Field(..., description="what this output's training minimises")
    weight: float = Field(1.0, ge=0, description="this loss's weight in the total loss "
                                                 "(Keras' loss_weights)")
    metrics: list[MetricRef] = Field(default_factory=list,
                                     description="logged as NAME_metric, e.g. label_accuracy")


class SupervisedTrain(TrainSpec):
    """supervised's train section: one `loss` (and `metrics`) for a model with one output,
    or `outputs:` (a loss, a weight and metrics per output) for a model with several."""
    # for editors, what _loss_or_outputs checks first: one of the two is there
    model_config = {**TrainSpec.model_config, "json_schema_extra": {
        "anyOf": [{"required": ["loss"]}, {"required": ["outputs"]}]}}
    loss: LossRef | None = Field(None, description="what training minimises (one output)")
    outputs: dict[str, OutputTrain] | None = Field(
        None, description="several outputs: output name -> {loss, weight, metrics}, instead "
                          "of train.loss and train.metrics")

    @model_validator(mode="after")
    def _loss_or_outputs(self):
        if self.outputs is None and self.loss is None:
            fail_at(("loss",), "missing", "required; e.g. loss: sparse_categorical_crossentropy "
                    "(or train.outputs for a model with several outputs)")
        if self.outputs is not None:
            if not self.outputs:
                fail_at(("outputs",), "form", "name each output, e.g. {label: {loss: "
                        "sparse_categorical_crossentropy}}, or use train.loss for one output")
            if self.loss is not None:
                fail_at(("loss",), "form", "with train.outputs each output has its own loss; "
                        "move this loss under train.outputs.NAME.loss")
            if self.metrics:
                fail_at(("metrics",), "form", "with train.outputs each output has its own "
                        "metrics; move them under train.outputs.NAME.metrics")
        return self


class Spec(Strict):
    kspec: Literal[1] = Field(FORMAT_VERSION, description="spec format version")
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="short name; runs are saved as runs/<name>-<time>")
    description: str = Field("", description="what the spec teaches: a short first sentence "
                             "(the line kspec list shows), then the details")
    lectures: list[str] = Field(
        default_factory=list, description="the course's lecture ids this spec covers, "
        f"{LECTURES[0]}..{LECTURES[-1]} (e.g. [L16]); kspec list --lecture L16 finds it")
    seed: int = Field(42, ge=0, description="seeds weights, splits and shuffling")
    task: str = Field("supervised", description="what the networks learn; see kspec catalog tasks")
    # a spec may hold only part of a run (README "Model-only and data-only specs"):
    # a model without data (kspec import), or only the data (kspec evaluate --data);
    # a command that needs a missing part says so (spec/parts.py)
    data: DataSpec | None = Field(None, description="where the examples come from and how "
                                  "they are split and preprocessed")
    model: ModelSpec | None = Field(None, description="the network (single-network tasks)")
    models: dict[str, ModelSpec] | None = Field(
        None, description="named networks (roles) for multi-network tasks, e.g. generator")
    train: Any = Field(None, description="how to train; its keys depend on the task")
    sweep: SweepSpec | None = Field(
        None, description="kspec sweep's search space: dotted key -> the values to try or a "
                          "range {low, high, log}, e.g. {train.batch_size: [32, 64]}, and how "
                          "to search (sampler, trials, metric, direction, pruner); kspec "
                          "train ignores it")

    @field_validator("lectures")
    @classmethod
    def _known_lectures(cls, v):
        wrong = [{"type": PydanticCustomError(
                      "kspec_unknown_name", unknown_lecture(lecture)),
                  "loc": (i,), "input": lecture}
                 for i, lecture in enumerate(v) if lecture not in LECTURES]
        if wrong:  # every wrong id at once, each at its own position
            reraise("kspec", wrong)
        if len(set(v)) != len(v):
            fail("duplicate", "a lecture id is listed twice")
        return v

    @field_validator("task")
    @classmethod
    def _known_task(cls, v):
        from ..tasks import TASKS
        if v not in TASKS:
            fail("unknown_name", f"unknown task '{v}'{did_you_mean(v, TASKS.names())}; "
                                 f"tasks: {', '.join(TASKS.names())}")
        return v

    @field_validator("train")
    @classmethod
    def _train_for_task(cls, v, info):
        from ..tasks import TASKS
        task = info.data.get("task")
        if v is None:
            return v  # a model-only or data-only spec (spec/parts.py)
        if task not in TASKS:
            return v  # the task itself is wrong; that error is reported
        return TASKS[task].train_schema.model_validate(v)

    @model_validator(mode="after")
    def _networks_for_task(self):
        from ..tasks import TASKS
        task = TASKS[self.task]
        if self.model is None and self.models is None and self.train is None \
                and self.data is not None:
            if self.name is None:  # only data: for kspec data / evaluate --data
                self.name = "data"  # (spec/parts.py); no run is named after it
            return self
        if self.name is None:
            fail_at(("name",), "missing", "required; add it (runs are saved as "
                    "runs/<name>-<time>)")
        if self.model is None and self.models is None and self.data is None:
            fail_at(("model",), "missing", "required; a spec holds a network (`model:` with "
                    "input and layers), data (`data:`), or both with `train:`")
        if task.roles is None:
            if self.models is not None:
                fail_at(("models",), "form",
                        f"task {self.task} has one network: write it under `model:`")
            if self.model is None:
                fail_at(("model",), "missing", "required; add the network's input and layers")
        else:
            if self.model is not None:
                fail_at(("model",), "form", f"task {self.task} has the networks "
                        f"{', '.join(task.roles)}: write them under `models:`")
            have = set(self.models or {})
            missing = [r for r in task.roles if r not in have]
            extra = sorted(have - set(task.roles))
            if missing or extra:
                fail_at(("models",), "roles", f"task {self.task} needs models: {', '.join(task.roles)}"
                     + (f"; missing {', '.join(missing)}" if missing else "")
                     + (f"; unknown {', '.join(extra)}" if extra else ""))
        return self

    def networks(self) -> dict:
        """role -> ModelSpec; a single-network spec has the one role 'model'."""
        return {"model": self.model} if self.model is not None else dict(self.models or {})
