"""The bundled digits_cnn and breast_cancer_mlp written by hand in plain Keras, as a
student would without kspec: same data, preprocessing, split fractions, model,
optimizer, batch size and epochs; train, evaluate on the test split, save the model.

Usage:  python benchmarks/plain_keras.py digits_cnn|breast_cancer_mlp EPOCHS OUT_DIR
Prints `FIT <seconds>` (model.fit alone) and `TEST <accuracy>`.
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # as kspec: bit-identical CPU results

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

name, epochs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
keras.utils.set_random_seed(42)

if name == "digits_cnn":
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 8, 8, 1).astype("float32")
else:
    x, y = load_breast_cancer(return_X_y=True)
    x = x.astype("float32")
    y = y.astype("float32")
# 20 % test, 15 % validation, stratified, as the specs' split says
x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=42)
x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.15 / 0.8,
                                                  stratify=y_rest, random_state=42)
if name == "breast_cancer_mlp":  # standardise with the training split's statistics
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_val, x_test = [(a - mean) / std for a in (x_train, x_val, x_test)]

if name == "digits_cnn":
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(0.002), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
else:
    model = keras.Sequential([
        keras.Input((30,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(keras.optimizers.Adam(0.001), "binary_crossentropy", metrics=["accuracy"])

start = time.perf_counter()
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=32,
          verbose=0)
print(f"FIT {time.perf_counter() - start:.3f}", flush=True)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"TEST {accuracy:.4f}", flush=True)
os.makedirs(out, exist_ok=True)
model.save(os.path.join(out, "model.keras"))
