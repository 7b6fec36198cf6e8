"""Writes the safetensors test files of curvscope's import (and the bad ones
in ../bad/), with their CSV data and the expected loss and gradient computed
here in float64 with numpy (no torch needed).

    python3 tests/data/safetensors/make.py      # from the repository root

Needs the `numpy` and `safetensors` Python packages. The files it writes are
committed, so the tests do not need Python. Each model is a PyTorch
Sequential of Linear layers and activations: tensors `0.weight` (out, in),
`0.bias`, `2.weight`, ... (a Linear at every other index, as
`nn.Sequential(nn.Linear, nn.Tanh(), nn.Linear, ...)` names them).
"""

import json
import math
import os

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(HERE, "..", "bad")

ERF = np.vectorize(math.erf)


def act(name, z):
    if name == "tanh":
        return np.tanh(z), 1.0 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s, s * (1.0 - s)
    if name == "gelu":
        cdf = 0.5 * (1.0 + ERF(z / math.sqrt(2.0)))
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return z * cdf, cdf + z * pdf
    if name == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(float)
    raise ValueError(name)


def loss_and_grad(layers, activation, loss, x, y):
    """layers: [(W (out, in), b (out))] in float64. Returns the mean loss and
    the gradient flattened in the problem format's order."""
    n = x.shape[0]
    a, zs, acts = x, [], [x]
    for i, (w, b) in enumerate(layers):
        z = a @ w.T + b
        zs.append(z)
        if i + 1 < len(layers):
            a, _ = act(activation, z)
            acts.append(a)
    z = zs[-1]
    if loss == "bce_logits":
        z1 = z[:, 0]
        value = np.mean(np.logaddexp(0.0, z1) - y * z1)
        dz = ((1.0 / (1.0 + np.exp(-z1)) - y) / n)[:, None]
    elif loss == "softmax_ce":
        m = z.max(axis=1, keepdims=True)
        lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
        value = np.mean(lse - z[np.arange(n), y])
        p = np.exp(z - lse[:, None])
        p[np.arange(n), y] -= 1.0
        dz = p / n
    elif loss == "mse":
        r = z - y.reshape(n, -1)
        value = np.mean(r * r)
        dz = 2.0 * r / r.size
    grads = []
    for i in reversed(range(len(layers))):
        w, _ = layers[i]
        grads.append((dz.T @ acts[i], dz.sum(axis=0)))
        if i > 0:
            _, d = act(activation, zs[i - 1])
            dz = (dz @ w) * d
    flat = []
    for gw, gb in reversed(grads):
        flat.extend(gw.ravel().tolist())
        flat.extend(gb.tolist())
    return float(value), flat


def sequential(rng, widths, dtype, prefix=""):
    tensors, layers = {}, []
    for l, (i, o) in enumerate(zip(widths[:-1], widths[1:])):
        w = (rng.standard_normal((o, i)) / math.sqrt(i)).astype(dtype)
        b = (0.1 * rng.standard_normal(o)).astype(dtype)
        tensors[f"{prefix}{2 * l}.weight"] = w
        tensors[f"{prefix}{2 * l}.bias"] = b
        layers.append((w.astype(np.float64), b.astype(np.float64)))
    return tensors, layers


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")


def standardize(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def case(name, widths, activation, loss, dtype, x, y_cells, y, meta, prefix=""):
    rng = np.random.default_rng(len(name))
    tensors, layers = sequential(rng, widths, dtype, prefix)
    save_file(tensors, os.path.join(HERE, f"{name}.safetensors"), metadata=meta)
    header = [f"x{k + 1}" for k in range(x.shape[1])] + ["target"]
    rows = [[repr(float(v)) for v in xr] + [c] for xr, c in zip(x, y_cells)]
    write_csv(os.path.join(HERE, f"{name}.csv"), header, rows)
    raw_loss, raw_grad = loss_and_grad(layers, activation, loss, x, y)
    std_loss, std_grad = loss_and_grad(layers, activation, loss, standardize(x), y)
    expected = {
        "layers": widths,
        "activation": activation,
        "loss_kind": loss,
        "loss": raw_loss,
        "grad": raw_grad,
        "standardized": {"loss": std_loss, "grad": std_grad},
    }
    with open(os.path.join(HERE, f"{name}.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    return tensors


def main():
    rng = np.random.default_rng(7)
    # Two moons-like classes, labels 0/1: bce_logits, float32, the
    # activation in the metadata.
    n = 40
    t = rng.uniform(0, math.pi, n)
    labels = np.arange(n) % 2
    x = np.stack([np.where(labels == 0, np.cos(t), 1 - np.cos(t)),
                  np.where(labels == 0, np.sin(t), 0.5 - np.sin(t))], axis=1)
    x += 0.1 * rng.standard_normal(x.shape)
    good = case("tanh_bce", [2, 8, 8, 1], "tanh", "bce_logits", np.float32, x,
                [str(v) for v in labels], labels.astype(float), {"activation": "tanh"})

    # Three named classes (sorted: ant 0, bee 1, cat 2): softmax_ce,
    # float64, under a module prefix, no metadata (--activation gelu).
    n = 30
    names = np.array(["ant", "bee", "cat"])
    k = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 3)) + 2.0 * np.eye(3)[k]
    case("gelu_softmax", [3, 6, 3], "gelu", "softmax_ce", np.float64, x,
         list(names[k]), k, None, prefix="net.")

    # Regression on an offset, scaled input: mse, float32, PyTorch's
    # spelling of the activation.
    n = 25
    x = rng.uniform(3.0, 9.0, (n, 1))
    y = np.sin(x[:, 0]) + 0.05 * rng.standard_normal(n)
    case("sigmoid_mse", [1, 5, 1], "sigmoid", "mse", np.float32, x,
         [repr(float(v)) for v in y], y, {"activation": "Sigmoid"})

    # Bad models, each refused with one line.
    def bad(name, tensors, meta=None):
        save_file(tensors, os.path.join(BAD, name), metadata=meta)

    f16 = dict(good)
    f16["0.weight"] = good["0.weight"].astype(np.float16)
    bad("model_f16.safetensors", f16, {"activation": "tanh"})
    no_bias = {k: v for k, v in good.items() if k != "2.bias"}
    bad("model_no_bias.safetensors", no_bias, {"activation": "tanh"})
    chain = dict(good)
    chain["2.weight"] = good["2.weight"][:, :5].copy()
    bad("model_shapes_do_not_chain.safetensors", chain, {"activation": "tanh"})
    bad("model_unknown_activation.safetensors", good, {"activation": "swish"})
    norm = dict(good)
    norm["1.running_mean"] = np.zeros(8, np.float32)
    bad("model_batchnorm.safetensors", norm, {"activation": "tanh"})
    whole = open(os.path.join(HERE, "tanh_bce.safetensors"), "rb").read()
    with open(os.path.join(BAD, "model_truncated.safetensors"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with open(os.path.join(BAD, "model_garbage.safetensors"), "wb") as f:
        f.write(b"this is a text file, not a model\n")


main()
