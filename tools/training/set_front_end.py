#!/usr/bin/env python3
"""Declare in a keyscan weights file which front end its model expects.

    set_front_end.py WEIGHTS.safetensors {fast,exact} [--out OUT.safetensors]

Sets the metadata key `front_end`, which `keyscan analyze` and `serve` read to pick the
model's input (docs/how-it-works.md, "Two front ends"): "fast" (11.025 kHz, MP3 through
libmpg123) or "exact" (librosa's numbers at 44.1 kHz). A file without the key gets the exact
front end, as the reference's weights (tools/training/convert_keynet.py) must. Only the JSON
header changes; the tensors' bytes are copied as they are (standard library only, no torch).
"""
import argparse
import json
import struct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("weights")
    parser.add_argument("front_end", choices=["fast", "exact"])
    parser.add_argument("--out", help="write here instead of in place")
    args = parser.parse_args()

    with open(args.weights, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    header.setdefault("__metadata__", {})["front_end"] = args.front_end
    # Tensor offsets count from the end of the header, so a longer header moves nothing;
    # padded with spaces to 8 bytes, as the safetensors writers do.
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(args.out or args.weights, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + blob[8 + length:])
    print(f"{args.out or args.weights}: front_end={args.front_end}")


if __name__ == "__main__":
    main()
