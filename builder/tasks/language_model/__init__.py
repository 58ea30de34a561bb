"""language_model: text -> the next token (L40 char-LSTM, L41 GPT-style transformer).

The `text` source gives windows of token ids and the token after each. A model
either predicts that one next token (output (vocab,)) or, GPT-style, the next
token at every position of the window (output (window, vocab)); then it must be
causal, or it would read the answers: this task checks that before training.

Everything language-model lives in this folder: the schema and checks (here), the
trainer (trainer.py) and text generation (textgen.py: `kspec generate`, and
`kspec predict` with a prompt file). The `text` source is data/sources/text.py.
"""
from __future__ import annotations

from pydantic import Field

from ...catalog.losses import LossRef
from ...core.base import Strict
from ...spec.schema import TrainSpec
from ..base import TASKS, Task, bundled_example


class SampleSpec(Strict):
    prompt: str = Field("", description="text the sample continues (default: a new line)")
    length: int = Field(300, ge=0, le=100_000, description="tokens to write (0: no sample)")
    temperature: float = Field(0.8, ge=0, description="0: always the likeliest token; "
                                                      "higher: more varied")
    top_k: int | None = Field(None, ge=1, description="sample only among the k likeliest tokens")
    seed: int = Field(0, ge=0)


class LanguageModelTrain(TrainSpec):
    loss: LossRef = Field("sparse_categorical_crossentropy",
                          description="cross-entropy of the next token")
    sample: SampleSpec = Field(default_factory=SampleSpec,
                               description="a text sample written to the run (sample.txt)")


@TASKS.register
class LanguageModel(Task):
    name = "language_model"
    doc = ("text -> the next token (char or word level); perplexity, a text sample, and "
           "kspec generate RUN --prompt TEXT")
    train_schema = LanguageModelTrain
    use_commands = ("evaluate", "predict", "generate")
    run_files = Task.run_files + ("model.keras", "vocab.json")

    def files_of_run(self, spec) -> list[str]:
        return super().files_of_run(spec) + (["sample.txt"] if spec.train.sample.length else [])

    def check(self, spec, plans, info, report):
        from ...spec.check import check_data_vs_model, check_monitors, check_one_output
        from ...spec.lint import lint
        source = spec.data.source
        if source.kind != "text":
            report.error(("data", "source"), "task language_model reads a text: use "
                         f"`text: {{path, level, window}}`, not {source.kind}")
            return
        plan = plans["model"]
        check_monitors(spec, report, extra=("cross_entropy",))
        if not check_one_output(self.name, plan, report):
            return
        check_data_vs_model(info, plan, report)
        outputs = plan.output_nodes()
        if report.errors or len(outputs) != 1 or outputs[0].shape is None:
            return
        node = outputs[0]
        if spec.train.loss.task != "sparse_multiclass":
            report.error(("train", "loss"), "a language model's labels are token ids: use "
                         "sparse_categorical_crossentropy")
            return
        if len(node.shape) == 2:
            if node.shape[0] != source.window:
                report.error(node.path, f"an output at every position must have the window's "
                             f"{source.window} positions, got {list(node.shape)}")
                return
            for n in plan.nodes:
                why = n.layer.looks_ahead()  # each layer class knows (Layer.looks_ahead)
                if why:
                    report.error(n.path, f"the model predicts the next token at every position, "
                                 f"so no position may see later ones: {why} (or predict only "
                                 "the last position's next token)")
        elif len(node.shape) != 1:
            report.error(node.path, "a language model outputs one score per vocabulary token: "
                         f"shape (vocab,) or (window, vocab), got {list(node.shape)}")
            return
        lint(spec, plan, info, report)

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from .trainer import train
        return train(loaded, out=out, epochs=epochs, verbose=verbose)

    def example_spec(self) -> dict:
        spec = bundled_example("shakespeare_char_lstm", sample={"length": 20}, batch_size=128)
        spec["data"]["source"]["text"].update(window=20, step=40)
        spec["model"] = {"input": [20], "layers": [
            {"embedding": {"input_dim": 60, "output_dim": 8}},
            {"lstm": {"units": 16, "return_sequences": True}},
            {"dense": {"units": 60, "activation": "softmax"}}]}
        return spec

    # ---- using a trained run ------------------------------------------------------
    def evaluate(self, run_dir, data=None):
        from ..supervised.use import evaluate_run
        from .trainer import model_targets
        return evaluate_run(run_dir, data, targets=model_targets)

    def predict(self, run_dir, input_path, length=200, temperature=1.0, seed=0, **options):
        """`kspec predict RUN --input PROMPT.txt`: the prompt's continuation."""
        self.unused("predict", options)  # --resize: for images
        from .textgen import predict_run
        return predict_run(run_dir, input_path, length, temperature, seed)

    def generate(self, run_dir, prompt=None, length=None, temperature=None, top_k=None,
                 seed=None, out=None, **options):
        """`kspec generate RUN --prompt TEXT --length N --temperature T --top-k K --seed S
        [--out FILE.txt]`: the prompt and its continuation (printed, or written to out)."""
        self.unused("generate", options)
        from ...core.atomic import write_text
        from .textgen import generate_run
        text = generate_run(run_dir, prompt or "", 200 if length is None else length,
                            1.0 if temperature is None else temperature, top_k,
                            0 if seed is None else seed)
        if out is None:
            return text
        write_text(out, text + ("" if text.endswith("\n") else "\n"))
        return f"saved text: {out}"
