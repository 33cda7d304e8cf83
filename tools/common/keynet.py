"""KeyNet in PyTorch, and the keyscan weights format.

KeyNet (Korzeniowski & Widmer, ISMIR 2018) as in openkeyscan-analyzer: nine conv blocks
(conv → BatchNorm2d(eps 1e-5) → ELU(1)), 'same' zero padding, no conv bias, 2×2 max pooling
after conv2, conv4 and conv6, then a global average over frequency and time. Parameter
names match openkeyscan's state_dict exactly (`conv1.conv.weight`, `conv1.bn.running_var`, …),
so its checkpoints load with `load_state_dict(strict=True)`.

Input (batch, 1, 105, T): log1p|CQT|, 24 bins per octave from 65 Hz, 5 frames/s.
Output (batch, 24) logits in Camelot order: 1A … 12A (minor), 1B … 12B (major).

`save_safetensors` writes the file keyscan's Swift engine loads (KeyscanModel): float32
tensors (conv weights and BatchNorm affine + running statistics; `num_batches_tracked` is
dropped) and `__metadata__` with format, format_version, classes, nf, name, version,
description.

Import it from other tools or training scripts (`sys.path` must contain tools/common/); run it
directly for a shape/parameter summary.
"""

from __future__ import annotations

import argparse
import json

import torch
import torch.nn as nn

FORMAT = "keyscan-keynet"
FORMAT_VERSION = "1"
#: Camelot order of the 24 logits: index i < 12 is (i+1)A, i >= 12 is (i-11)B.
CLASSES = [f"{n}A" for n in range(1, 13)] + [f"{n}B" for n in range(1, 13)]
NUM_CLASSES = len(CLASSES)
BINS = 105
BN_EPS = 1e-5

#: (block name, input-channel multiple of nf (0 = 1 input channel), output multiple of nf
#: (0 = the 24 classes), kernel size, 2×2 max pool after it)
LAYERS = [
    ("conv1", 0, 1, 5, False),
    ("conv2", 1, 1, 3, True),
    ("conv3", 1, 2, 3, False),
    ("conv4", 2, 2, 3, True),
    ("conv5", 2, 4, 3, False),
    ("conv6", 4, 4, 3, True),
    ("conv7", 4, 8, 3, False),
    ("conv8", 8, 8, 3, False),
    ("conv9", 8, 0, 1, False),
]


class BasicConv2d(nn.Module):
    """conv (same padding, no bias) → BatchNorm2d → ELU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding="same", bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=BN_EPS)
        self.elu = nn.ELU(alpha=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.elu(self.bn(self.conv(x)))


class KeyNet(nn.Module):
    """KeyNet with width `nf` (the reference model has nf = 20).

    Dropout2d (probability `p`) follows each pool and conv7/conv8; it is active only in
    training mode, so eval-mode outputs are those of the plain conv/BN/ELU stack.
    """

    def __init__(self, nf: int = 20, p: float = 0.5, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.nf = nf

        def channels(multiple: int, fallback: int) -> int:
            return multiple * nf if multiple else fallback

        for name, cin, cout, k, _ in LAYERS:
            setattr(self, name, BasicConv2d(channels(cin, 1), channels(cout, num_classes), k))
        self.pool1, self.pool2, self.pool3 = nn.MaxPool2d(2), nn.MaxPool2d(2), nn.MaxPool2d(2)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout2d(p), nn.Dropout2d(p), nn.Dropout2d(p)
        self.dropout4, self.dropout5 = nn.Dropout2d(p), nn.Dropout2d(p)
        self.global_avgpool = nn.AdaptiveAvgPool2d((1, 1))

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every block's output (after BN and ELU, before pooling), for debugging."""
        out = {}
        x = self.conv1(x); out["conv1"] = x
        x = self.conv2(x); out["conv2"] = x
        x = self.dropout1(self.pool1(x))
        x = self.conv3(x); out["conv3"] = x
        x = self.conv4(x); out["conv4"] = x
        x = self.dropout2(self.pool2(x))
        x = self.conv5(x); out["conv5"] = x
        x = self.conv6(x); out["conv6"] = x
        x = self.dropout3(self.pool3(x))
        x = self.dropout4(self.conv7(x)); out["conv7"] = x
        x = self.dropout5(self.conv8(x)); out["conv8"] = x
        x = self.conv9(x); out["conv9"] = x
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 1, 105, T) → (batch, 24) logits."""
        return torch.flatten(self.global_avgpool(self.features(x)["conv9"]), 1)


def infer_nf(state_dict: dict[str, torch.Tensor]) -> int:
    """The width of a KeyNet state_dict: conv1's output channel count."""
    if "conv1.conv.weight" not in state_dict:
        raise ValueError("not a KeyNet state_dict: no conv1.conv.weight")
    return int(state_dict["conv1.conv.weight"].shape[0])


def keyscan_metadata(nf: int, name: str, version: str, description: str) -> dict[str, str]:
    """The `__metadata__` block of a keyscan KeyNet file."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "classes": ",".join(CLASSES),
        "nf": str(nf),
        "name": name,
        "version": version,
        "description": description,
    }


def save_safetensors(model: KeyNet, path: str, metadata: dict[str, str] | None = None) -> None:
    """Write `model` in keyscan's format: float32 tensors, BN running stats, metadata.

    `metadata` sets `name`, `version`, `description` (and may add keys); format,
    format_version, classes and nf are always those of this module and the model.
    """
    meta = dict(metadata or {})
    full = keyscan_metadata(model.nf, meta.pop("name", "keynet"), meta.pop("version", "0"), meta.pop("description", ""))
    for key, value in meta.items():
        if key in ("format", "format_version", "classes", "nf") and value != full[key]:
            raise ValueError(f"metadata {key}={value!r} conflicts with {full[key]!r}")
        full[key] = str(value)
    tensors = {
        key: value.detach().to(torch.float32).numpy()
        for key, value in model.state_dict().items()
        if not key.endswith("num_batches_tracked")
    }
    write_safetensors(path, tensors, full)


def write_safetensors(path: str, tensors: dict[str, "np.ndarray"], meta: dict[str, str]) -> None:
    """A byte-for-byte reproducible safetensors writer (the `safetensors` package orders
    metadata keys at random): tensors sorted by name, packed back to back, little-endian,
    header JSON with sorted keys padded with spaces to a multiple of 8 bytes."""
    import numpy as np

    dtypes = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
    header: dict[str, object] = {"__metadata__": dict(sorted(meta.items()))}
    blobs, offset = [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        blob = array.tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path: str) -> tuple[KeyNet, dict[str, str]]:
    """Read a keyscan KeyNet file back into an eval-mode KeyNet, with its metadata."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: format {meta.get('format')!r} v{meta.get('format_version')!r}, "
                         f"expected {FORMAT!r} v{FORMAT_VERSION}")
    if meta.get("classes") != ",".join(CLASSES):
        raise ValueError(f"{path}: classes {meta.get('classes')!r}, expected Camelot order")
    model = KeyNet(nf=int(meta["nf"]))
    missing, unexpected = model.load_state_dict(load_file(path), strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{path}: missing {missing}, unexpected {unexpected}")
    return model.eval(), meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nf", type=int, default=20, help="network width (default 20, the reference model)")
    parser.add_argument("--frames", type=int, default=1200, help="time frames for the MAC count (default 1200 = 4 min)")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = KeyNet(nf=args.nf).eval()
    params = sum(p.numel() for p in model.parameters())
    x = torch.zeros(1, 1, BINS, args.frames)
    macs = 0
    with torch.no_grad():
        for name, block in model.features(x).items():
            conv = getattr(model, name).conv
            macs += block.numel() * conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
            print(f"{name:6s} {str(tuple(conv.weight.shape)):18s} → {tuple(block.shape[1:])}")
    print(json.dumps({"nf": args.nf, "parameters": params, "frames": args.frames, "gmac": round(macs / 1e9, 3)}))


if __name__ == "__main__":
    main()
