"""The audio half of rendering training data: MIDI → fluidsynth → augmentation → encoded file.

Shared by render_training.py (POP909) and render_mma.py (MMA accompaniments). A render draws an
`Augmentation` from its own seeded generator (`draw`), then `finish` applies it and writes the
file. Each effect is applied to a random subset of training excerpts with its own probability
(the PROBABILITY table); held-out renders get none of them, only a level and a 192 kb/s MP3,
like music files people own (peak -6..-1 dBFS).

  detune    p 0.5   -50..+50 cents, as a MIDI pitch bend on every part before synthesis
                    (`detune_midi`): exact, free, and like a band tuned off A440; sox `pitch`
                    would cost 0.5 s a file and smear chords. The label stays: 50 cents is the
                    edge of a semitone, not the next key.
  eq        p 0.5   sox `bass` ±6 dB at 80-200 Hz, `treble` ±6 dB at 2-6 kHz, one `equalizer`
                    band ±9 dB at 150 Hz-5 kHz (log-uniform), Q 0.7-2.5
  compand   p 0.3   sox `compand`: threshold 8-24 dB below the peak, ratio 2-6, attack 5-30 ms,
                    release 100-400 ms
  reverb    p 0.3   sox `reverb`: reverberance 20-70 %, HF damping 30-80 %, room 30-100 %,
                    pre-delay 0-30 ms
  noise     p 0.3   white or pink noise (even odds) at 20-40 dB SNR (against the excerpt's RMS)
  drive     p 0.15  a loud master: tanh soft clipping after 2-6 dB of gain
  codec     p 0.4   lossy round trip with ffmpeg: MP3 (libmp3lame) 96/128/160/192 kb/s (p 0.6),
                    Opus 64/96/128 kb/s (0.2), AAC 96/128/160 kb/s (0.2)
  level     always  peak normalized to -20..-0.5 dBFS (-1..-0.1 after drive): KeyNet's input
                    log(1+|CQT|) is not scale invariant, so the level must vary

Order: detune (MIDI) → synthesis → eq, compand, reverb (one sox call) → noise → drive and
level → codec → mono 16-bit FLAC. Fluidsynth runs with `-o synth.dynamic-sample-loading=1` (only the presets the
MIDI uses are loaded: the .sf3 soundfont decodes in a quarter of the time, same audio).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 44100
PROBABILITY = {"detune": 0.5, "eq": 0.5, "compand": 0.3, "reverb": 0.3, "noise": 0.3, "drive": 0.15,
               "codec": 0.4}
SOX_HEADROOM_DB = -12.0  # peak before sox, so EQ boosts and reverb cannot clip its integer path


@dataclass(frozen=True)
class Augmentation:
    """What happens to one render's audio after synthesis; None = effect not applied."""

    detune_cents: float | None = None
    eq: tuple[float, float, float, float, float, float, float] | None = None  # bass dB, Hz, treble dB, Hz, band Hz, Q, dB
    compand: tuple[float, float, float, float] | None = None  # threshold dB below peak, ratio, attack s, release s
    reverb: tuple[float, float, float, float] | None = None  # reverberance %, HF damping %, room %, pre-delay ms
    noise: tuple[str, float] | None = None  # "white" | "pink", SNR dB
    drive_db: float | None = None
    codec: tuple[str, int] | None = None  # "mp3" | "opus" | "aac", kb/s
    peak_db: float = -1.0

    def describe(self) -> str:
        """One labels.tsv field: every effect applied with its parameters, ';'-separated."""
        parts = []
        if self.detune_cents is not None:
            parts.append(f"detune={self.detune_cents:+.1f}c")
        if self.eq:
            bass, bass_hz, treble, treble_hz, band_hz, q, band = self.eq
            parts.append(f"eq=bass{bass:+.1f}dB@{bass_hz:.0f},treble{treble:+.1f}dB@{treble_hz:.0f},"
                         f"band{band:+.1f}dB@{band_hz:.0f}q{q:.2f}")
        if self.compand:
            threshold, ratio, attack, release = self.compand
            parts.append(f"compand=-{threshold:.1f}dB/{ratio:.1f}:1/{attack * 1000:.0f}ms/{release * 1000:.0f}ms")
        if self.reverb:
            parts.append("reverb={:.0f}/{:.0f}/{:.0f}/{:.0f}ms".format(*self.reverb))
        if self.noise:
            parts.append(f"noise={self.noise[0]}@{self.noise[1]:.1f}dB")
        if self.drive_db is not None:
            parts.append(f"drive={self.drive_db:.1f}dB")
        parts.append(f"level={self.peak_db:.1f}dB")
        if self.codec:
            parts.append(f"codec={self.codec[0]}@{self.codec[1]}k")
        return ";".join(parts)


def draw(rng: random.Random, augment: bool) -> Augmentation:
    """Draw a render's augmentation. The draws come in a fixed order and are all made whether
    or not an effect is applied, so switching one probability does not reshuffle the others."""
    use = {name: rng.random() < p for name, p in PROBABILITY.items()}
    detune = rng.uniform(-50.0, 50.0)
    eq = (rng.uniform(-6, 6), rng.uniform(80, 200), rng.uniform(-6, 6), rng.uniform(2000, 6000),
          math.exp(rng.uniform(math.log(150), math.log(5000))), rng.uniform(0.7, 2.5), rng.uniform(-9, 9))
    compand = (rng.uniform(8, 24), rng.uniform(2, 6), rng.uniform(0.005, 0.03), rng.uniform(0.1, 0.4))
    reverb = (rng.uniform(20, 70), rng.uniform(30, 80), rng.uniform(30, 100), rng.uniform(0, 30))
    noise = (rng.choice(["white", "pink"]), rng.uniform(20, 40))
    drive = rng.uniform(2, 6)
    codec_draw = rng.random()
    codec = ("mp3", rng.choice([96, 128, 160, 192])) if codec_draw < 0.6 else \
            ("opus", rng.choice([64, 96, 128])) if codec_draw < 0.8 else ("aac", rng.choice([96, 128, 160]))
    level = rng.uniform(-20.0, -0.5)
    hot_level = rng.uniform(-1.0, -0.1)
    clean_level = rng.uniform(-6.0, -1.0)
    if not augment:
        return Augmentation(peak_db=clean_level)
    return Augmentation(
        detune_cents=detune if use["detune"] else None, eq=eq if use["eq"] else None,
        compand=compand if use["compand"] else None, reverb=reverb if use["reverb"] else None,
        noise=noise if use["noise"] else None, drive_db=drive if use["drive"] else None,
        codec=codec if use["codec"] else None, peak_db=hot_level if use["drive"] else level)


def run(command: list[str]) -> None:
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-800:]}")


PITCH_BEND_RANGE_CENTS = 200  # General MIDI's default pitch-bend sensitivity, ±2 semitones


def detune_midi(midi, cents: float | None) -> None:
    """Detune every pitched part of a pretty_midi.PrettyMIDI by `cents` with pitch bends (a bend
    at time 0, and any bends the part already has moved by the same amount)."""
    import pretty_midi

    if not cents:
        return
    offset = round(cents / PITCH_BEND_RANGE_CENTS * 8192)
    for inst in midi.instruments:
        if inst.is_drum:
            continue
        for bend in inst.pitch_bends:
            bend.pitch = max(-8192, min(8191, bend.pitch + offset))
        inst.pitch_bends.insert(0, pretty_midi.PitchBend(offset, 0.0))


MIN_NOTE_SECONDS = 0.02


def sanitize_midi(midi, end: float) -> None:
    """Make a pretty_midi.PrettyMIDI safe to synthesize up to `end` seconds: no event after `end`,
    no note shorter than 20 ms, and at `end` the sustain pedal up and all notes off. fluidsynth
    renders until every voice has died away, so a voice that is never released (a note whose
    off is written at or before its on, or a sustain pedal still down where an excerpt was cut
    out of a song) makes it render for ever."""
    import pretty_midi

    for inst in midi.instruments:
        notes = []
        for n in inst.notes:
            n.end = min(n.end, end)
            if n.start < end - MIN_NOTE_SECONDS:
                n.end = max(n.end, n.start + MIN_NOTE_SECONDS)
                notes.append(n)
        inst.notes = notes
        inst.control_changes = [c for c in inst.control_changes if c.time < end]
        inst.pitch_bends = [b for b in inst.pitch_bends if b.time < end]
        inst.control_changes += [pretty_midi.ControlChange(64, 0, end), pretty_midi.ControlChange(123, 0, end)]
    midi.lyrics = [e for e in midi.lyrics if e.time < end]
    midi.text_events = [e for e in midi.text_events if e.time < end]


def synthesize(midi: Path, soundfont: Path, reverb: bool, seconds: float, gain: float = 0.4):
    """Render a MIDI file of at most `seconds` with fluidsynth; returns float32 audio of shape
    (samples, 2) at 44.1 kHz. The WAV may not grow past `seconds` + 60 s (a stuck note would
    otherwise render for ever): fluidsynth is then stopped and this raises."""
    import resource

    import soundfile

    # float32 stereo, plus room for the 64 MiB shared-memory file the PulseAudio client library
    # sizes with ftruncate when fluidsynth starts (the limit counts it too).
    limit = int((seconds + 60) * SAMPLE_RATE * 2 * 4) + (256 << 20)

    def cap_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        wav = Path(tmp, "synth.wav")
        command = ["fluidsynth", "-ni", "-q", "-o", "synth.dynamic-sample-loading=1", "-R", "1" if reverb else "0",
                   "-C", "0", "-F", str(wav), "-r", str(SAMPLE_RATE), "-g", str(gain), "-O", "float", "-T", "wav",
                   str(soundfont), str(midi)]
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              preexec_fn=cap_file_size)
        if done.returncode != 0:
            reason = f" (SIGXFSZ: more than {seconds + 60:.0f} s of audio)" if done.returncode == -25 else ""
            raise RuntimeError(f"fluidsynth failed ({done.returncode}){reason}: "
                               f"{done.stderr.decode(errors='replace')[-800:]}")
        audio, _ = soundfile.read(str(wav), dtype="float32", always_2d=True)
    return audio


def fit(audio, samples: int, fade_seconds: float = 0.2):
    """Cut or zero-pad audio (samples, channels) to `samples`, with a short fade-out at a cut."""
    import numpy as np

    if len(audio) >= samples:
        audio = audio[:samples].copy()
        fade = min(samples, int(fade_seconds * SAMPLE_RATE))
        audio[samples - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
        return audio
    return np.concatenate([audio, np.zeros((samples - len(audio), audio.shape[1]), dtype=audio.dtype)])


def _peak_normalize(audio, peak_db: float):
    import numpy as np

    peak = float(np.abs(audio).max())
    if peak == 0:
        raise RuntimeError("the render is silent")
    return (audio * (10 ** (peak_db / 20) / peak)).astype(np.float32)


def _sox_effects(aug: Augmentation) -> list[str]:
    effects: list[str] = []
    if aug.eq:
        bass, bass_hz, treble, treble_hz, band_hz, q, band = aug.eq
        effects += ["bass", f"{bass:.2f}", f"{bass_hz:.0f}", "treble", f"{treble:.2f}", f"{treble_hz:.0f}",
                    "equalizer", f"{band_hz:.0f}", f"{q:.2f}q", f"{band:.2f}"]
    if aug.compand:
        below, ratio, attack, release = aug.compand
        threshold = SOX_HEADROOM_DB - below
        top = threshold + (SOX_HEADROOM_DB + 6 - threshold) / ratio  # output at 6 dB over the peak
        effects += ["compand", f"{attack:.3f},{release:.3f}",
                    f"6:-90,-90,{threshold:.1f},{threshold:.1f},{SOX_HEADROOM_DB + 6:.1f},{top:.1f}"]
    if aug.reverb:
        reverberance, damping, room, predelay = aug.reverb
        effects += ["reverb", f"{reverberance:.0f}", f"{damping:.0f}", f"{room:.0f}", "100", f"{predelay:.0f}"]
    return effects


def _noise(samples: int, channels: int, color: str, rng):
    import numpy as np

    white = rng.standard_normal((channels, samples))
    if color == "white":
        return white.T
    spectrum = np.fft.rfft(white, axis=1)
    f = np.arange(spectrum.shape[1], dtype=np.float64)
    f[0] = 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(f), n=samples, axis=1)  # 1/f power: -3 dB per octave
    return (pink / pink.std(axis=1, keepdims=True)).T


def _codec_round_trip(audio, codec: tuple[str, int], tmp: Path):
    import soundfile

    name, kbps = codec
    source, coded, decoded = tmp / "precodec.wav", tmp / f"coded.{ {'mp3': 'mp3', 'opus': 'ogg', 'aac': 'm4a'}[name] }", \
        tmp / "decoded.wav"
    soundfile.write(str(source), audio, SAMPLE_RATE, subtype="FLOAT")
    encoder = {"mp3": "libmp3lame", "opus": "libopus", "aac": "aac"}[name]
    run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source), "-c:a", encoder, "-b:a", f"{kbps}k",
         "-threads", "1", "-fflags", "+bitexact", "-flags:a", "+bitexact", str(coded)])
    run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-threads", "1", "-i", str(coded), "-ar", str(SAMPLE_RATE),
         "-c:a", "pcm_f32le", str(decoded)])
    out, _ = soundfile.read(str(decoded), dtype="float32", always_2d=True)
    return fit(out, len(audio), fade_seconds=0.0)


def apply(audio, aug: Augmentation, seed: str):
    """The augmented audio (samples, channels), same length as the input; `seed` seeds the noise."""
    import hashlib

    import numpy as np
    import soundfile

    samples = len(audio)
    audio = _peak_normalize(audio, SOX_HEADROOM_DB)
    with tempfile.TemporaryDirectory(prefix="augment-") as name:
        tmp = Path(name)
        effects = _sox_effects(aug)
        if effects:
            before, after = tmp / "before.wav", tmp / "after.wav"
            soundfile.write(str(before), audio, SAMPLE_RATE, subtype="FLOAT")
            run(["sox", "-R", "-D", "--single-threaded", "-V1", str(before), "-e", "floating-point", "-b", "32",
                 str(after), *effects])
            audio, _ = soundfile.read(str(after), dtype="float32", always_2d=True)
            audio = fit(audio, samples, fade_seconds=0.0)
        if aug.noise:
            color, snr = aug.noise
            rng = np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
            rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
            audio = (audio + _noise(samples, audio.shape[1], color, rng) * rms * 10 ** (-snr / 20)).astype(np.float32)
        if aug.drive_db is not None:
            drive = 10 ** (aug.drive_db / 20)
            audio = (np.tanh(drive * _peak_normalize(audio, 0.0)) / math.tanh(drive)).astype(np.float32)
        audio = _peak_normalize(audio, aug.peak_db)
        if aug.codec:
            audio = _codec_round_trip(audio, aug.codec, tmp)
    return np.clip(audio, -1.0, 1.0)


def write(audio, path: Path, format: str) -> None:
    """Write the final file atomically: 'flac' is mono 16-bit, 'mp3' stereo 192 kb/s CBR."""
    import soundfile

    partial = path.with_name(f".{path.name}.part")
    if format == "flac":
        soundfile.write(str(partial), audio.mean(axis=1), SAMPLE_RATE, subtype="PCM_16", format="FLAC")
    elif format == "mp3":
        with tempfile.TemporaryDirectory(prefix="encode-") as tmp:
            wav = Path(tmp, "final.wav")
            soundfile.write(str(wav), audio, SAMPLE_RATE, subtype="FLOAT")
            run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-map_metadata", "-1",
                 "-fflags", "+bitexact", "-flags:a", "+bitexact", "-c:a", "libmp3lame", "-b:a", "192k",
                 "-f", "mp3", str(partial)])
    else:
        raise ValueError(f"unknown format {format!r}")
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draw", type=int, default=0, metavar="N", help="print N drawn training augmentations")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for i in range(args.draw):
        print(draw(random.Random(f"{args.seed}:{i}"), augment=True).describe())


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
