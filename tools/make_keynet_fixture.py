"""Write the KeyNet golden fixture for Tests/KeyscanModelTests/Fixtures.

Two small files, both safetensors:
  keynet-nf4.safetensors         a seeded, randomly initialised KeyNet (nf 4) in keyscan's
                                 weights format. BatchNorm gamma/beta/running mean/running
                                 variance are randomised too, so the Swift loader's folding
                                 of BN into the convolutions is really exercised.
  keynet-nf4-golden.safetensors  input  (105, 77): log1p of a positive random field (77 frames:
                                        odd, not a multiple of 8, so every pool floors);
                                 logits (24,): PyTorch's eval-mode float32 output;
                                 conv9  (24, 13, 9): the last block's map before the global
                                        average, for debugging.
The test loads the model with the production loader, runs the Swift forward on `input`
and compares with `logits`. The script also prints how far float32 PyTorch is from a
float64 run, which is the scale of the test's tolerance.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keynet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "Tests", "KeyscanModelTests", "Fixtures")


def random_model(nf: int, seed: int) -> keynet.KeyNet:
    torch.manual_seed(seed)
    model = keynet.KeyNet(nf=nf)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, *_ in keynet.LAYERS:
            bn = getattr(model, name).bn
            c = bn.num_features
            bn.weight.copy_(0.5 + torch.rand(c, generator=g))           # gamma in [0.5, 1.5)
            bn.bias.copy_(0.3 * torch.randn(c, generator=g))            # beta
            bn.running_mean.copy_(0.3 * torch.randn(c, generator=g))
            bn.running_var.copy_(0.2 + 2 * torch.rand(c, generator=g))  # var in [0.2, 2.2)
            bn.num_batches_tracked.fill_(100)
    return model.eval()


def random_input(frames: int, seed: int) -> np.ndarray:
    """log1p of a positive field: smooth spectral envelope × gamma noise, like a log-CQT."""
    rng = np.random.default_rng(seed)
    envelope = np.exp(-np.linspace(0, 3, keynet.BINS))[:, None]
    field = envelope * rng.gamma(shape=1.5, scale=2.0, size=(keynet.BINS, frames))
    return np.log1p(field).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: the test fixtures)")
    parser.add_argument("--nf", type=int, default=4, help="network width (default 4, ~80 KB)")
    parser.add_argument("--frames", type=int, default=77, help="input frames (default 77)")
    parser.add_argument("--seed", type=int, default=20180923, help="random seed")
    args = parser.parse_args()

    model = random_model(args.nf, args.seed)
    x = torch.from_numpy(random_input(args.frames, args.seed))
    with torch.no_grad():
        features = model.features(x[None, None])
        logits = model(x[None, None])[0]
        logits64 = model.double()(x[None, None].double())[0]
        model.float()

    stem = f"keynet-nf{args.nf}"
    model_path = os.path.join(args.out, f"{stem}.safetensors")
    golden_path = os.path.join(args.out, f"{stem}-golden.safetensors")
    keynet.save_safetensors(model, model_path, {
        "name": f"fixture-{stem}", "version": "1",
        "description": f"random KeyNet nf={args.nf}, seed {args.seed}, for tests only"})
    keynet.write_safetensors(golden_path, {
        "input": x.numpy(),
        "logits": logits.numpy(),
        "conv9": features["conv9"][0].numpy(),
    }, {"seed": str(args.seed), "frames": str(args.frames)})

    print(f"{model_path}: {os.path.getsize(model_path)} bytes")
    print(f"{golden_path}: {os.path.getsize(golden_path)} bytes")
    print("logits:", np.array2string(logits.numpy(), precision=4, max_line_width=120))
    print(f"logit range {logits.min().item():.4f} … {logits.max().item():.4f}; "
          f"max |float32 − float64| = {(logits.double() - logits64).abs().max().item():.3g}")


if __name__ == "__main__":
    main()
