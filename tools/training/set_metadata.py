#!/usr/bin/env python3
"""Set metadata keys in a keyscan weights file that only change how keyscan runs the model.

    set_metadata.py WEIGHTS.safetensors KEY=VALUE... [--out OUT.safetensors]

Keys (what `keyscan analyze` and `serve` read from the file):
  front_end                 the model's input (docs/how-it-works.md, "Two front ends"): "fast"
                            (11.025 kHz, MP3 through libmpg123) or "exact" (librosa's numbers at
                            44.1 kHz). A file without it gets the exact front end, as the
                            reference's weights (tools/training/convert_keynet.py) must.
  timeline_switch_penalty   the key timeline's cost of a key change in nats, tuned with the model
                            on validation songs (tools/evaluation/timeline.py); without it, 64.

Only the JSON header changes; the tensors' bytes are copied as they are (standard library
only, no torch). The temperature has its own tool, tools/training/calibrate.py --write.
"""
import argparse
import json
import math
import struct

KEYS = {
    "front_end": lambda v: v in ("fast", "exact"),
    "timeline_switch_penalty": lambda v: _number(v) is not None and 0 <= _number(v) <= 10_000,
}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("weights")
    parser.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    parser.add_argument("--out", help="write here instead of in place")
    args = parser.parse_args()
    settings = {}
    for item in args.settings:
        key, _, value = item.partition("=")
        if key not in KEYS:
            parser.error(f"unknown key {key!r}: one of {', '.join(KEYS)}")
        if not KEYS[key](value):
            parser.error(f"bad value for {key}: {value!r}")
        settings[key] = value

    with open(args.weights, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    header.setdefault("__metadata__", {}).update(settings)
    # Tensor offsets count from the end of the header, so a longer header moves nothing;
    # padded with spaces to 8 bytes, as the safetensors writers do.
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(args.out or args.weights, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + blob[8 + length:])
    print(f"{args.out or args.weights}: " + ", ".join(f"{k}={v}" for k, v in settings.items()))


if __name__ == "__main__":
    main()
