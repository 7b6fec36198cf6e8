"""curvref: the shared core of the peer harness.

Everything here follows docs/problem-format.md literally:

* a strict loader/validator for `curvscope-problem/1` files (used by
  expected.py, bench.py and by problems.py to prove that every file in bad/ is
  refused and every good problem is accepted);
* the MLP and the three losses in JAX float64 (flat parameter vector, layer by
  layer: W_l of shape (out, in) row-major, then b_l (out); z = W_l a + b_l;
  hidden activation after every layer but the last);
* Hessian-vector products, full Hessians (chunked), and a Lanczos
  eigensolver with full reorthogonalization.

Import this module before anything else touches JAX: it enables float64.
"""
from __future__ import annotations

import json
import math
import os

# Two threads for XLA's CPU backend (the machine has 2 cores anyway). Must be
# set before jax is imported.
os.environ.setdefault(
    "XLA_FLAGS",
    "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2",
)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

FORMAT_TAG = "curvscope-problem/1"
ACTIVATIONS = ("tanh", "relu", "gelu", "sigmoid", "softplus", "linear")
LOSSES = ("mse", "bce_logits", "softmax_ce")


# --------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------
class ProblemError(ValueError):
    """A problem file that breaks the spec. `field` names the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def _reject_constant(name):
    # Python's json accepts the non-JSON tokens NaN, Infinity, -Infinity by
    # default; the spec refuses them.
    raise ProblemError("json", f"non-JSON token {name!r} (NaN/Infinity are not JSON numbers)")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool))


def _finite_number(v, field: str) -> float:
    if not _is_num(v):
        raise ProblemError(field, f"expected a number, got {type(v).__name__}")
    try:
        f = float(v)
    except OverflowError:  # a JSON integer like 1 followed by 400 zeros
        raise ProblemError(field, "number too large for float64") from None
    if not math.isfinite(f):
        # e.g. 1e400 parses to inf
        raise ProblemError(field, f"expected a finite number, got {v!r}")
    return f


def n_params_for(layers) -> int:
    return sum(layers[i + 1] * layers[i] + layers[i + 1] for i in range(len(layers) - 1))


def load_problem(path: str) -> dict:
    """Read and validate a problem file. Returns a dict with numpy float64
    arrays. Raises ProblemError (with .field) on any violation of the spec.
    Sizes are checked from the counts before anything is allocated."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise ProblemError("file", f"cannot read: {e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProblemError("json", f"not UTF-8: {e}") from None
    if not text.strip():
        raise ProblemError("json", "empty file, expected a JSON object")
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except ProblemError:
        raise
    except json.JSONDecodeError as e:
        raise ProblemError("json", f"invalid JSON: {e}") from None
    return validate_problem(doc)


def validate_problem(doc) -> dict:
    if not isinstance(doc, dict):
        raise ProblemError("json", "top level must be a JSON object")
    if doc.get("format") != FORMAT_TAG:
        raise ProblemError("format", f"expected exactly {FORMAT_TAG!r}, got {doc.get('format')!r}")

    model = doc.get("model")
    if not isinstance(model, dict):
        raise ProblemError("model", "expected an object with 'layers' and 'activation'")
    layers = model.get("layers")
    if not isinstance(layers, list) or len(layers) < 2:
        raise ProblemError("model.layers", "expected a list of at least 2 widths")
    for i, w in enumerate(layers):
        if not _is_int(w) or w < 1:
            raise ProblemError(f"model.layers[{i}]", f"expected an integer >= 1, got {w!r}")
    act = model.get("activation")
    if act not in ACTIVATIONS:
        raise ProblemError("model.activation", f"expected one of {ACTIVATIONS}, got {act!r}")

    loss = doc.get("loss")
    if loss not in LOSSES:
        raise ProblemError("loss", f"expected one of {LOSSES}, got {loss!r}")
    n_in, n_out = layers[0], layers[-1]
    if loss == "bce_logits" and n_out != 1:
        raise ProblemError("model.layers", f"bce_logits needs output width 1, got {n_out}")

    # Parameter count first (pure integer arithmetic, no allocation), so a
    # file claiming layers [1000000, 1000000, 1] with 5 params is refused
    # before anything big exists.
    P = n_params_for(layers)
    params = doc.get("params")
    if not isinstance(params, list):
        raise ProblemError("params", "expected a flat array of numbers")
    if len(params) != P:
        raise ProblemError("params", f"expected {P} numbers for layers {layers}, got {len(params)}")
    theta = np.array([_finite_number(v, f"params[{i}]") for i, v in enumerate(params)], dtype=np.float64)

    data = doc.get("data")
    if not isinstance(data, dict):
        raise ProblemError("data", "expected an object with 'x' and 'y'")
    xs, ys = data.get("x"), data.get("y")
    if not isinstance(xs, list):
        raise ProblemError("data.x", "expected a list of rows")
    if not isinstance(ys, list):
        raise ProblemError("data.y", "expected a list")
    N = len(xs)
    if N < 1:
        # The spec does not say so explicitly; a mean over zero samples is
        # undefined, so the reference refuses it.
        raise ProblemError("data.x", "expected at least one sample")
    if len(ys) != N:
        raise ProblemError("data.y", f"expected {N} entries (one per row of data.x), got {len(ys)}")
    X = np.empty((N, n_in), dtype=np.float64)
    for r, row in enumerate(xs):
        if not isinstance(row, list) or len(row) != n_in:
            got = len(row) if isinstance(row, list) else type(row).__name__
            raise ProblemError(f"data.x[{r}]", f"expected a row of {n_in} numbers, got {got}")
        for c, v in enumerate(row):
            X[r, c] = _finite_number(v, f"data.x[{r}][{c}]")

    if loss == "mse":
        Y = np.empty((N, n_out), dtype=np.float64)
        for r, v in enumerate(ys):
            if _is_num(v) and n_out == 1:
                Y[r, 0] = _finite_number(v, f"data.y[{r}]")
            elif isinstance(v, list) and len(v) == n_out:
                for c, u in enumerate(v):
                    Y[r, c] = _finite_number(u, f"data.y[{r}][{c}]")
            else:
                raise ProblemError(
                    f"data.y[{r}]",
                    f"expected a row of {n_out} numbers" + (" (or a bare number)" if n_out == 1 else "") + f", got {v!r}",
                )
    elif loss == "bce_logits":
        Y = np.empty((N,), dtype=np.float64)
        for r, v in enumerate(ys):
            f = _finite_number(v, f"data.y[{r}]")
            if not (0.0 <= f <= 1.0):
                raise ProblemError(f"data.y[{r}]", f"expected a target in [0, 1], got {v!r}")
            Y[r] = f
    else:  # softmax_ce
        Y = np.empty((N,), dtype=np.int64)
        for r, v in enumerate(ys):
            # A class index must be an integer; JSON 2.0 is accepted as 2 only
            # if it is integral (serde-style readers may refuse it; we do not
            # put such values into good files).
            if _is_int(v):
                k = v
            elif isinstance(v, float) and math.isfinite(v) and v.is_integer():
                k = int(v)
            else:
                raise ProblemError(f"data.y[{r}]", f"expected an integer class index, got {v!r}")
            if not (0 <= k < n_out):
                raise ProblemError(f"data.y[{r}]", f"expected a class index in [0, {n_out}), got {v!r}")
            Y[r] = k

    dirs = doc.get("directions")
    D = None
    if dirs is not None:
        if not isinstance(dirs, list):
            raise ProblemError("directions", "expected a list of parameter-space vectors")
        D = np.empty((len(dirs), P), dtype=np.float64)
        for k, d in enumerate(dirs):
            if not isinstance(d, list) or len(d) != P:
                got = len(d) if isinstance(d, list) else type(d).__name__
                raise ProblemError(f"directions[{k}]", f"expected {P} numbers, got {got}")
            for i, v in enumerate(d):
                D[k, i] = _finite_number(v, f"directions[{k}][{i}]")

    return {
        "layers": list(layers),
        "activation": act,
        "loss": loss,
        "x": X,
        "y": Y,
        "params": theta,
        "directions": D,
        "n_params": P,
        "n_samples": N,
    }


# --------------------------------------------------------------------------
# Model and losses (JAX, float64)
# --------------------------------------------------------------------------
def _gelu_exact(z):
    return 0.5 * z * (1.0 + jax.scipy.special.erf(z / jnp.sqrt(2.0)))


def activation_fn(name):
    return {
        "tanh": jnp.tanh,
        "relu": jax.nn.relu,  # relu'(0) = 0 in JAX; relu'' = 0 a.e.
        "gelu": _gelu_exact,  # exact erf form, NOT the tanh approximation
        "sigmoid": jax.nn.sigmoid,
        "softplus": jax.nn.softplus,  # log(1 + e^z), stable
        "linear": lambda z: z,
    }[name]


def unflatten(theta, layers):
    """Flat vector -> [(W_l (out,in), b_l (out,)), ...] in the spec's order."""
    out, off = [], 0
    for i in range(len(layers) - 1):
        n_in, n_out = layers[i], layers[i + 1]
        W = theta[off: off + n_out * n_in].reshape(n_out, n_in)  # row-major
        off += n_out * n_in
        b = theta[off: off + n_out]
        off += n_out
        out.append((W, b))
    return out


def forward(theta, X, layers, activation):
    act = activation_fn(activation)
    a = X  # (N, in); each row a sample, so z = a W^T + b  ==  W a + b per sample
    wb = unflatten(theta, layers)
    for li, (W, b) in enumerate(wb):
        z = a @ W.T + b
        a = act(z) if li < len(wb) - 1 else z
    return a  # (N, out) raw outputs (logits for the two classification losses)


def loss_value(out, Y, loss):
    if loss == "mse":
        return jnp.mean((out - Y) ** 2)  # mean over samples and output units
    if loss == "bce_logits":
        z = out[:, 0]
        return jnp.mean(jax.nn.softplus(z) - Y * z)  # softplus stable form
    if loss == "softmax_ce":
        lse = jax.scipy.special.logsumexp(out, axis=1)
        zy = jnp.take_along_axis(out, Y[:, None], axis=1)[:, 0]
        return jnp.mean(lse - zy)
    raise ValueError(loss)


def make_loss(prob):
    """Return f(theta) -> scalar loss, closed over the problem's data."""
    X = jnp.asarray(prob["x"])
    Y = jnp.asarray(prob["y"])
    layers, act, loss = prob["layers"], prob["activation"], prob["loss"]

    def f(theta):
        return loss_value(forward(theta, X, layers, act), Y, loss)

    return f


def make_hvp(f):
    """Exact Hessian-vector product: forward-over-reverse (jvp of grad)."""
    g = jax.grad(f)

    def hvp(theta, v):
        return jax.jvp(g, (theta,), (v,))[1]

    return hvp


def _basis_columns(f, theta, chunk):
    """Yield (s, e, cols) with cols[k] = H e_{s+k} for k < e-s: exact HVPs
    with basis vectors, `chunk` of them per vmapped call (one compiled shape;
    the last chunk is zero-padded)."""
    P = theta.shape[0]
    chunk = min(chunk, P)
    # theta is an argument (not a closed-over constant) so XLA does not try
    # to constant-fold the network's matmuls at compile time.
    batched = jax.jit(jax.vmap(make_hvp(f), in_axes=(None, 0)))
    for s in range(0, P, chunk):
        e = min(P, s + chunk)
        E = np.zeros((chunk, P))
        E[np.arange(e - s), np.arange(s, e)] = 1.0
        cols = np.asarray(batched(theta, jnp.asarray(E)))[: e - s]
        yield s, e, cols


def full_hessian(f, theta, chunk=256):
    """Full Hessian as a dense (P, P) numpy array, column j = H e_j. Equal to
    jax.hessian(f)(theta) (checked in expected.py) but with bounded memory."""
    P = theta.shape[0]
    H = np.empty((P, P), dtype=np.float64)
    for s, e, cols in _basis_columns(f, theta, chunk):
        H[:, s:e] = cols.T
    return H


def hessian_diag(f, theta, chunk=256):
    """Exact diag(H) via one HVP per basis vector (batched), without keeping
    the full matrix."""
    P = theta.shape[0]
    diag = np.empty(P)
    for s, e, cols in _basis_columns(f, theta, chunk):
        diag[s:e] = cols[np.arange(e - s), np.arange(s, e)]
    return diag


def lanczos(matvec, P, k_top=5, want_min=True, tol=1e-10, max_iter=None, seed=0, min_iter=20,
            check_every=None):
    """Symmetric Lanczos with full reorthogonalization (two passes of classical
    Gram-Schmidt against all previous Lanczos vectors at every step), on an
    exact matvec (here: an exact Hessian-vector product).

    Converged when the Ritz residual bound |beta_m * s_{m,i}| <= tol * max|theta|
    holds for the k_top largest Ritz values and (if want_min) the smallest one,
    or when the Krylov space is exhausted (beta ~ 0 or m == P, then the Ritz
    values are the exact eigenvalues of H restricted to the space). Returns a
    dict: ritz (ascending), S (eigenvectors of T), Q (Lanczos basis, m x P),
    residual_bounds, iterations, converged, hvps."""
    rng = np.random.default_rng(seed)
    max_iter = P if max_iter is None else min(max_iter, P)
    Q = np.zeros((max_iter + 1, P))
    q = rng.standard_normal(P)
    Q[0] = q / np.linalg.norm(q)
    alphas, betas = [], []
    converged = False
    m, b = 0, 0.0
    for j in range(max_iter):
        w = np.array(matvec(Q[j]), dtype=np.float64)
        a = float(w @ Q[j])
        alphas.append(a)
        w -= a * Q[j]
        if j > 0:
            w -= betas[-1] * Q[j - 1]
        for _ in range(2):  # full reorthogonalization, twice ("twice is enough")
            w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        b = float(np.linalg.norm(w))
        m = j + 1
        every = check_every or (1 if m < 60 else (5 if m < 300 else 20))
        if m == max_iter or m % every == 0 or m < 60:
            T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
            th, S = np.linalg.eigh(T)
            scale = max(abs(th[0]), abs(th[-1]), 1e-300)
            if b <= 1e-13 * scale:  # invariant subspace: Ritz values are exact eigenvalues
                converged = True
                break
            res = np.abs(b * S[-1, :])
            idx = list(range(max(0, m - k_top), m)) + ([0] if want_min else [])
            if m >= min(min_iter, P) and np.all(res[idx] <= tol * scale):
                converged = True
                break
        if m == max_iter:
            converged = m == P
            break
        betas.append(b)
        Q[j + 1] = w / b
    T = np.diag(alphas) + np.diag(betas[: m - 1], 1) + np.diag(betas[: m - 1], -1)
    th, S = np.linalg.eigh(T)
    res = np.abs(b * S[-1, :])
    return {"ritz": th, "S": S, "Q": Q[:m], "residual_bounds": res, "iterations": m,
            "converged": converged, "hvps": m}


def ritz_vectors(lz, which):
    """Ritz vectors (rows) for the given indices into lz['ritz']."""
    return (lz["S"][:, which].T @ lz["Q"])


def hessian_diag_structured(prob, theta):
    """Exact diag(H) by the layer structure, an algorithm independent of the
    basis-HVP one (used as a cross-check). For layer l, z_l = W_l a_{l-1} + b_l
    and a_{l-1} does not depend on (W_l, b_l), so for every sample n
        d^2 loss_n / dW_l[a,b]^2 = a_{l-1}[n,b]^2 * (d^2 loss_n / dz_l^2)[a,a]
        d^2 loss_n / db_l[a]^2   =                 (d^2 loss_n / dz_l^2)[a,a]
    where d^2 loss_n / dz_l^2 is the (width_l x width_l) Hessian of sample n's
    loss w.r.t. layer l's pre-activation (through all later layers), from
    jax.hessian per sample. diag(H) = mean over n (the loss is a mean)."""
    layers, act_name, loss = prob["layers"], prob["activation"], prob["loss"]
    act = activation_fn(act_name)
    X, Y = jnp.asarray(prob["x"]), jnp.asarray(prob["y"])
    wb = unflatten(jnp.asarray(theta), layers)
    L = len(wb)

    def tail(z, y, l):
        a = z
        for k in range(l, L):
            if k > l:
                W, b = wb[k]
                a = W @ a + b
            if k < L - 1:
                a = act(a)
        return loss_value(a[None], y[None], loss)

    parts = []
    a_in = X
    for l in range(L):
        W, b = wb[l]
        z = a_in @ W.T + b
        hz = jax.jit(jax.vmap(lambda zz, yy, l=l: jnp.diag(jax.hessian(tail)(zz, yy, l))))(z, Y)  # (N, out)
        N = z.shape[0]
        parts += [np.asarray((hz.T @ (a_in ** 2)) / N).ravel(), np.asarray(jnp.mean(hz, axis=0))]
        a_in = act(z) if l < L - 1 else z
    return np.concatenate(parts)
