"""Convert a PyTorch KeyNet checkpoint into keyscan's weights format (safetensors).

    convert_keynet.py IN.pt OUT.safetensors [--name NAME --version V --description TEXT]

IN.pt is a state_dict saved with torch.save (as openkeyscan-analyzer's keynet.pt), or a
dict holding one under "state_dict" / "model_state_dict"; a "module." prefix (DataParallel)
is stripped. The width nf is inferred from conv1's shape and every name and shape is
checked by loading into tools/common/keynet.py's KeyNet with strict=True. The written file is then
read back and must reproduce the original model's eval-mode logits bit for bit on a
seeded random input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import keynet  # noqa: E402


def load_state_dict(path: str) -> dict[str, torch.Tensor]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model_state_dict"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, dict):
        raise SystemExit(f"{path}: expected a state_dict, got {type(checkpoint).__name__}")
    return {k.removeprefix("module."): v for k, v in checkpoint.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="PyTorch KeyNet checkpoint (.pt)")
    parser.add_argument("output", help="keyscan weights file to write (.safetensors)")
    parser.add_argument("--name", default=None, help="model name in the metadata (default: input file stem)")
    parser.add_argument("--version", default="1", help="model version in the metadata (default 1)")
    parser.add_argument("--description", default=None, help="free text in the metadata")
    args = parser.parse_args()

    state = load_state_dict(args.input)
    nf = keynet.infer_nf(state)
    model = keynet.KeyNet(nf=nf)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise SystemExit(f"{args.input}: not a KeyNet with nf={nf}:\n{error}")
    model.eval()

    name = args.name or os.path.splitext(os.path.basename(args.input))[0]
    description = args.description or f"KeyNet nf={nf} converted from {os.path.basename(args.input)}"
    keynet.save_safetensors(model, args.output, {"name": name, "version": args.version, "description": description})

    # Verify: the file reloads to the same network, same metadata, same logits.
    reloaded, meta = keynet.load_safetensors(args.output)
    assert meta["nf"] == str(nf) and meta["name"] == name, meta
    torch.manual_seed(0)
    x = torch.rand(2, 1, keynet.BINS, 77) * 3
    with torch.no_grad():
        expected, got = model(x), reloaded(x)
    if not torch.equal(expected, got):
        raise SystemExit(f"verification failed: max |Δlogit| = {(expected - got).abs().max().item()}")
    params = sum(p.numel() for p in model.parameters())
    print(f"{args.output}: KeyNet nf={nf}, {params} parameters, {os.path.getsize(args.output)} bytes, "
          f"name={name!r} version={args.version!r}; reload verified")


if __name__ == "__main__":
    main()
