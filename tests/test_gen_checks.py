"""Multi-network specs are checked before training, without TensorFlow: role
against role (errors name both networks, at the line to fix), role against data,
and each task's rules (VAE outputs, discriminator head, diffusion step input,
flow layers, cgan label input)."""
from __future__ import annotations

import re


HEAD = """
kspec: 1
name: t
task: {task}
data:
  source: {{sklearn: digits}}
  preprocess: [{{scale: 16}}]
"""

AE = HEAD.format(task="autoencoder") + """
models:
  encoder:
    input: [64]
    layers: [{dense: {units: 16, activation: relu}}]
  decoder:
    input: [DEC_IN]
    layers: [{dense: {units: DEC_OUT, activation: sigmoid}}]
train: {epochs: 1}
"""

GAN = HEAD.format(task="gan") + """
models:
  generator:
    input: [8]
    layers: [{dense: {units: 64, activation: GEN_ACT}}]
  discriminator:
    input: [DISC_IN]
    layers: [{dense: 16}, {dense: {units: DISC_UNITS, activation: DISC_ACT}}]
train: TRAIN
"""


def problems(cli, write_spec, text):
    path = write_spec(text)
    result = cli("validate", path)
    return result.exit_code, result.stderr.strip().splitlines(), path


def line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_decoder_input_must_equal_the_encoder_code(cli, write_spec):
    code, lines, path = problems(cli, write_spec, AE.replace("DEC_IN", "8").replace("DEC_OUT", "64"))
    assert code == 1 and len(lines) == 1
    assert re.match(rf"{re.escape(str(path))}:{line_of(path, 'input: [8]')}:\d+: models\.decoder\.input: ",
                    lines[0]), lines
    assert "the decoder takes [8] but the encoder outputs a code of shape [16]" in lines[0]


def test_decoder_must_rebuild_the_input(cli, write_spec):
    code, lines, _ = problems(cli, write_spec, AE.replace("DEC_IN", "16").replace("DEC_OUT", "32"))
    assert code == 1 and "the decoder outputs [32] but it must rebuild the input, of shape [64]" in lines[0]


def test_valid_autoencoder_passes(cli, write_spec):
    code, lines, _ = problems(cli, write_spec, AE.replace("DEC_IN", "16").replace("DEC_OUT", "64"))
    assert code == 0, lines


def gan(**kw):
    text = GAN
    values = {"GEN_ACT": "tanh", "DISC_IN": "64", "DISC_UNITS": "1", "DISC_ACT": "sigmoid",
              "TRAIN": "{epochs: 1}", **kw}
    for k, v in values.items():
        text = text.replace(k, v)
    return text


def test_discriminator_input_must_equal_the_generator_output(cli, write_spec):
    code, lines, path = problems(cli, write_spec, gan(DISC_IN="63"))
    assert code == 1 and len(lines) == 1, lines
    assert f":{line_of(path, 'input: [63]')}:" in lines[0]
    assert ("models.discriminator.input: the discriminator takes [63] but the generator "
            "outputs examples of shape [64]") in lines[0]


def test_discriminator_head_is_one_probability_or_logit(cli, write_spec):
    code, lines, _ = problems(cli, write_spec, gan(DISC_UNITS="2", DISC_ACT="softmax"))
    text = "\n".join(lines)
    assert code == 1 and "outputs one number per example" in text and "applies softmax" in text


def test_gan_train_section_is_strict_with_suggestions(cli, write_spec):
    code, lines, _ = problems(cli, write_spec, gan(TRAIN="{label_smothing: 0.1}"))
    assert code == 1 and "did you mean 'label_smoothing'" in lines[0]
    code, lines, _ = problems(cli, write_spec, gan(
        TRAIN="{generator: {optimizer: {adam: {learning_rate: 0.001}}}, label_smoothing: 0.7}"))
    assert code == 1 and "train.label_smoothing" in lines[0]


def test_vae_encoder_outputs_mean_and_log_variance(cli, write_spec):
    text = HEAD.format(task="vae") + """
models:
  encoder: {input: [64], layers: [{dense: 4}]}
  decoder: {input: [4], layers: [{dense: {units: 64, activation: sigmoid}}]}
train: {epochs: 1}
"""
    code, lines, _ = problems(cli, write_spec, text)
    assert code == 1 and "[z_mean, z_log_var] or [z_mean, z_log_var, z]" in lines[0]


def test_vae_bce_needs_a_sigmoid_output_and_decoder_fits_latent(cli, write_spec):
    text = HEAD.format(task="vae") + """
models:
  encoder:
    input: [64]
    layers:
      - dense: {units: 4, name: m}
      - dense: {units: 4, name: v, inputs: input}
      - sampling: {inputs: [m, v], name: z}
    outputs: [m, v, z]
  decoder: {input: [3], layers: [{dense: 64}]}
train: {epochs: 1}
"""
    code, lines, _ = problems(cli, write_spec, text)
    text = "\n".join(lines)
    assert code == 1
    assert "the decoder takes [3] but the encoder outputs a latent z of shape [4]" in text
    assert "reconstruction: bce compares probabilities" in text


def test_diffusion_denoiser_takes_the_step(cli, write_spec):
    text = HEAD.format(task="diffusion") + """
model: {input: [64], layers: [{dense: 64}]}
train: {epochs: 1, timesteps: 50, schedule: cosine}
"""
    code, lines, _ = problems(cli, write_spec, text)
    assert code == 1 and "needs an input named 't'" in lines[0]


def test_diffusion_warns_when_the_schedule_leaves_signal(cli, write_spec):
    text = HEAD.format(task="diffusion") + """
model:
  input: {x: [64], t: [1]}
  layers: [{time_embedding: {dim: 8, inputs: t}}, {concatenate: {inputs: [x, time_embedding]}}, {dense: 64}]
train: {epochs: 1, timesteps: 100}
"""
    code, lines, _ = problems(cli, write_spec, text)
    assert code == 0 and "warning: train.timesteps" in lines[0] and "signal is left" in lines[0]


def test_flow_is_a_chain_of_invertible_layers(cli, write_spec):
    text = HEAD.format(task="flow") + """
model: {input: [64], layers: [{affine_coupling: {mask: alternate}}, {dense: 64}]}
train: {epochs: 1}
"""
    code, lines, _ = problems(cli, write_spec, text)
    assert code == 1 and "dense is not invertible" in lines[0]
    code, lines, _ = problems(cli, write_spec, text.replace("mask: alternate", "mask: checkerboard"))
    assert "mask: checkerboard needs an image" in "\n".join(lines)


def test_cgan_networks_take_a_label_input(cli, write_spec):
    text = gan().replace("task: gan", "task: cgan")
    code, lines, _ = problems(cli, write_spec, text)
    text = "\n".join(lines)
    assert code == 1 and "the generator needs an input named 'label'" in text
    assert "the discriminator needs an input named 'label'" in text


def test_single_model_tasks_refuse_roles_and_vice_versa(cli, write_spec):
    text = HEAD.format(task="gan") + "model: {input: [64], layers: [{dense: 1}]}\ntrain: {}\n"
    code, lines, _ = problems(cli, write_spec, text)
    assert code == 1 and "write them under `models:`" in "\n".join(lines)


def test_diverging_training_stops_with_a_message_and_leaves_no_run(cli, write_spec, tmp_path):
    text = (AE.replace("DEC_IN", "16").replace("DEC_OUT", "64")
            .replace("activation: relu", "activation: linear")
            .replace("activation: sigmoid", "activation: linear")
            .replace("train: {epochs: 1}",
                     "train: {epochs: 2, optimizer: {sgd: {learning_rate: 1.0e+12}}}"))
    path = write_spec(text)
    result = cli("train", path, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 1
    assert "training diverged: lower the learning rate" in result.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


def test_generate_on_a_run_of_another_task_says_which_tasks_it_serves(cli, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "spec.yaml").write_text("task: supervised\n")
    result = cli("generate", run)
    assert result.exit_code == 1  # one line, no usage text: the run is of the wrong kind
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "is a supervised run: `kspec generate` works on" in result.stderr
    assert "gan" in result.stderr and "vae" in result.stderr
    assert "try kspec evaluate / predict" in result.stderr
    assert cli("generate", tmp_path / "missing").exit_code == 1
