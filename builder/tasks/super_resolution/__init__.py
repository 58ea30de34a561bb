"""super_resolution: a low-resolution image -> the image at full size (L35).

The data's `downscale` step makes the pairs (the small image as input, the
full-size one as target); the network upsamples, classically with convolutions
then `depth_to_space` (the sub-pixel CNN of Shi et al. 2016). Trained like a
supervised model (its loop, with a report hook); scored by PSNR against bicubic
upscaling of the same test images (score.py), with a before/after grid.
"""
from __future__ import annotations

from pydantic import Field

from ...catalog.losses import LossRef
from ...spec.schema import TrainSpec
from ..base import TASKS, Task


class SuperResolutionTrain(TrainSpec):
    loss: LossRef = Field("mean_squared_error", description="per-pixel error (MSE is what "
                                                            "PSNR measures)")


def downscale_step(spec):
    steps = [s for s in spec.data.preprocess if s.kind == "downscale"]
    return steps[0] if len(steps) == 1 else None


@TASKS.register
class SuperResolution(Task):
    name = "super_resolution"
    doc = ("low-resolution image -> full-size image (a `downscale` step makes the pairs); "
           "PSNR next to bicubic upscaling, before/after grid")
    train_schema = SuperResolutionTrain
    use_commands = ("evaluate", "predict")
    run_files = Task.run_files + ("model.keras", "super_resolution.png")

    def check(self, spec, plans, info, report):
        from ...spec.check import check_data_vs_model
        step = downscale_step(spec)
        if step is None or step.target != "input":
            report.error(("data", "preprocess"), "task super_resolution learns from (small, "
                         "full-size) pairs: add one `- downscale: 2` step (target: input)")
            return
        plan = plans["model"]
        check_data_vs_model(info, plan, report)
        outputs = plan.output_nodes()
        if report.errors or len(outputs) != 1 or outputs[0].shape is None or info.y_shape is None:
            return
        node = outputs[0]
        if tuple(node.shape) != tuple(info.y_shape):
            report.error(node.path, f"the model must output the full-size image "
                         f"{list(info.y_shape)} (its input {step.factor} times larger on each "
                         f"side), but the last layer ({node.name}) outputs {list(node.shape)}; "
                         f"end with `- depth_to_space: {step.factor}` after a conv2d with "
                         f"{step.factor ** 2} x channels filters")

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from ..supervised.trainer import train
        from .score import report
        return train(loaded, out=out, epochs=epochs, verbose=verbose, report=report)

    def example_spec(self) -> dict:
        return {"kspec": 1, "name": "super_resolution_example", "seed": 0,
                "task": "super_resolution",
                "data": {"source": {"sample_images": {"size": 16, "stride": 48}},
                         "preprocess": [{"scale": 255}, {"downscale": 2}]},
                "model": {"input": [8, 8, 3],
                          "layers": [{"conv2d": {"filters": 8, "kernel_size": 3,
                                                 "padding": "same", "activation": "relu"}},
                                     {"conv2d": {"filters": 12, "kernel_size": 3,
                                                 "padding": "same"}},
                                     {"depth_to_space": 2}]},
                "train": {"epochs": 1, "batch_size": 32}}

    # ---- using a trained run: as a supervised one (predict takes low-res images) -----
    def evaluate(self, run_dir, data=None):
        from ..supervised.use import evaluate_run
        return evaluate_run(run_dir, data)

    def predict(self, run_dir, input_path, **options):
        from ..supervised.use import predict_run
        return predict_run(run_dir, input_path)
