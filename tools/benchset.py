#!/usr/bin/env python3
"""Writes the speed benchmark set: one problem file per network below (every
activation, every loss, a deep narrow net, a wide-input net, a ~20k-parameter
net), random data, parameters and filter-normalized directions, seeded.

usage: tools/benchset.py OUT_DIR
Then: ../shared/tools/jax-peer/perf_ratio.py target/release/curvscope OUT_DIR/*.json
"""
import json, os, sys
import numpy as np

# name: (layers, activation, loss, samples)
NETS = {
    "tanh-mse-1-32-1": ([1, 32, 1], "tanh", "mse", 128),
    "relu-softmax-2-24-24-3": ([2, 24, 24, 3], "relu", "softmax_ce", 300),
    "gelu-bce-2-32-32-1": ([2, 32, 32, 1], "gelu", "bce_logits", 400),
    "softplus-softmax-10-64-64-4": ([10, 64, 64, 4], "softplus", "softmax_ce", 512),
    "sigmoid-bce-2-8-8-1": ([2, 8, 8, 1], "sigmoid", "bce_logits", 200),
    "linear-mse-3-16-16-2": ([3, 16, 16, 2], "linear", "mse", 256),
    "gelu-mse-deep-1-10-10-10-2": ([1, 10, 10, 10, 2], "gelu", "mse", 200),
    "softplus-bce-deep-2-8x5-1": ([2, 8, 8, 8, 8, 8, 1], "softplus", "bce_logits", 256),
    "relu-mse-1-64-64-1": ([1, 64, 64, 1], "relu", "mse", 256),
    "tanh-bce-wide-input-64-32-1": ([64, 32, 1], "tanh", "bce_logits", 512),
    "tanh-bce-20k-2-140-140-1": ([2, 140, 140, 1], "tanh", "bce_logits", 512),
}


def params_and_directions(layers, rng):
    theta, dirs = [], [[], []]
    for fan_in, fan_out in zip(layers, layers[1:]):
        w = rng.normal(0, 1 / np.sqrt(fan_in), (fan_out, fan_in))
        b = rng.normal(0, 0.1, fan_out)
        theta += list(w.ravel()) + list(b)
        for d in dirs:
            # Filter normalization (Li et al. 2018): each row scaled to its weights' norm.
            r = rng.normal(0, 1, (fan_out, fan_in))
            r *= np.linalg.norm(w, axis=1, keepdims=True) / np.linalg.norm(r, axis=1, keepdims=True)
            d += list(r.ravel()) + [0.0] * fan_out
    return theta, dirs


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, (name, (layers, act, loss, n)) in enumerate(NETS.items()):
        rng = np.random.default_rng(i)
        x = rng.normal(0, 1, (n, layers[0]))
        if loss == "mse":
            y = np.tanh(x @ rng.normal(0, 1, (layers[0], layers[-1])))
            y = y.tolist()
        elif loss == "bce_logits":
            y = (1 / (1 + np.exp(-3 * x[:, 0] * x[:, -1]))).round(2).tolist()
        else:
            y = rng.integers(0, layers[-1], n).tolist()
        theta, dirs = params_and_directions(layers, rng)
        doc = {
            "format": "curvscope-problem/1",
            "model": {"layers": layers, "activation": act},
            "loss": loss,
            "data": {"x": x.tolist(), "y": y},
            "params": theta,
            "directions": dirs,
        }
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(doc, f)
        print(name, sum(a * b + b for a, b in zip(layers, layers[1:])), "params")


if __name__ == "__main__":
    main()
