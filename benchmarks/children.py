"""The runner's helpers that run in their own processes, started by the sections as
`run.py _prepare WORKLOAD MINUTES CACHE`, `run.py _encode SOURCE TARGET` and `run.py _espeak
PHRASES.json` (and speech_piper's `_prepare_piper` and `_piper_calibrate`); each prints one JSON
object on stdout. `ENTRY_POINTS` maps those first arguments to the functions.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import time
from pathlib import Path

import speech_piper


def child_prepare(workload: str, minutes: str, cache: str) -> None:
    """Time pipeline.prepare with the espeak-ng engine (--engine pyttsx3) and a fresh cache; the
    engine's process is started first, separately. (Never piper in this process: loading both
    espeak-ng libraries in one process crashes.)"""
    from sessiongen import pipeline
    from sessiongen.settings import DEFAULTS
    from sessiongen.speech import get_engine

    settings = DEFAULTS.but(minutes=float(minutes), engine="pyttsx3")
    script = pipeline.load(workload)
    t0 = time.perf_counter()
    engine = get_engine(settings.engine)
    voice = engine.resolve_voice(settings.voice)  # starts the engine's child process
    engine_cpu0 = _engine_cpu(engine)
    t1, cpu1 = time.perf_counter(), time.process_time()
    prepared = pipeline.prepare(script, {}, settings, Path(cache))
    t2, cpu2 = time.perf_counter(), time.process_time()
    engine_cpu1 = _engine_cpu(engine)
    engine_cpu = None if engine_cpu0 is None or engine_cpu1 is None else engine_cpu1 - engine_cpu0
    texts = [c.text for c in prepared.clips.values()]
    print(
        json.dumps(
            {
                "engine_start_s": t1 - t0,
                "prepare_s": t2 - t1,
                "parent_cpu_s": cpu2 - cpu1,
                "engine_cpu_s": engine_cpu,
                "phrases": len(prepared.clips),
                "words": sum(len(t.split()) for t in texts),
                "audio_s": sum(c.frames for c in prepared.clips.values()) / settings.sample_rate_hz,
                "synthesised": prepared.speak.synthesised,
                "rate_wpm": settings.rate_wpm,
                "voice": voice,
            }
        )
    )


def _engine_cpu(engine) -> float | None:
    """CPU seconds used so far by the isolated engine's child process (from /proc)."""
    process = getattr(engine, "_process", None)
    pid = getattr(process, "pid", None)
    if not pid:
        return None
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def child_encode(source: str, target: str) -> None:
    """lameenc alone, as sessiongen configures it, on int16 PCM already in memory: the floor for MP3."""
    import lameenc
    import soundfile as sf

    from sessiongen.output.encode import MP3_QUALITY
    from sessiongen.settings import DEFAULTS

    pcm, rate = sf.read(source, dtype="int16", always_2d=True)
    block = int(DEFAULTS.window_s * rate)  # the blocks sessiongen hands the encoder
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(DEFAULTS.mp3_bitrate_kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(pcm.shape[1])
    encoder.set_quality(MP3_QUALITY)
    with open(target, "wb") as out:
        started, cpu0 = time.perf_counter(), time.process_time()
        for at in range(0, len(pcm), block):
            out.write(encoder.encode(pcm[at : at + block].tobytes()))
        out.write(encoder.flush())
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    size = Path(target).stat().st_size
    Path(target).unlink()
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "audio_s": len(pcm) / rate,
                "channels": pcm.shape[1],
                "block_frames": block,
                "bitrate_kbps": DEFAULTS.mp3_bitrate_kbps,
                "quality": MP3_QUALITY,
                "bytes": size,
            }
        )
    )


AUDIO_OUTPUT_SYNCHRONOUS, ESPEAK_RATE, ESPEAK_VOLUME = 2, 1, 2
CHARS_UTF8, ENDPAUSE = 1, 0x1000  # the flags pyttsx3's driver passes
SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def _espeak_library(library: str):
    """libespeak-ng through ctypes, with the signatures of the functions used here."""
    dll = ctypes.CDLL(library)
    dll.espeak_Initialize.restype = ctypes.c_int
    dll.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    dll.espeak_SetSynthCallback.argtypes = [SYNTH_CALLBACK]
    dll.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    dll.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    dll.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    dll.espeak_Info.restype = ctypes.c_char_p
    dll.espeak_Info.argtypes = [ctypes.c_void_p]
    return dll


def _espeak_start(dll, data_path: str, callback, volume: float) -> int:
    """Initialise espeak-ng synchronously with the voice and volume pyttsx3 uses; its sample rate."""
    rate_hz = dll.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(Path(data_path).parent).encode(), 0)
    if rate_hz <= 0:
        raise SystemExit("espeak_Initialize failed")
    dll.espeak_SetSynthCallback(callback)
    from sessiongen.speech.engines.pyttsx3 import DEFAULT_ESPEAK_VOICE

    if dll.espeak_SetVoiceByName(DEFAULT_ESPEAK_VOICE.encode()) != 0:
        raise SystemExit(f"espeak_SetVoiceByName({DEFAULT_ESPEAK_VOICE}) failed")
    dll.espeak_SetParameter(ESPEAK_VOLUME, int(round(volume * 100)), 0)
    return rate_hz


def child_espeak(phrases_file: str) -> None:
    """espeak-ng itself, through ctypes on the library espeakng_loader ships: the floor for speech."""
    import espeakng_loader
    import numpy as np

    data = json.loads(Path(phrases_file).read_text())
    library = espeakng_loader.get_library_path()
    data_path = espeakng_loader.get_data_path()
    os.environ["ESPEAK_DATA_PATH"] = data_path
    dll = _espeak_library(library)
    chunks: list = []

    def on_samples(wav, count, events):
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = SYNTH_CALLBACK(on_samples)
    t0 = time.perf_counter()
    rate_hz = _espeak_start(dll, data_path, callback, data["volume"])
    t1, cpu1 = time.perf_counter(), time.process_time()
    for text, rate in data["phrases"]:
        dll.espeak_SetParameter(ESPEAK_RATE, int(rate), 0)
        encoded = text.encode("utf-8")
        if dll.espeak_Synth(encoded, len(encoded) + 1, 0, 1, 0, CHARS_UTF8 | ENDPAUSE, None, None) != 0:
            raise SystemExit(f"espeak_Synth failed on {text[:40]!r}")
    t2, cpu2 = time.perf_counter(), time.process_time()
    samples = sum(len(c) for c in chunks)
    print(
        json.dumps(
            {
                "init_s": t1 - t0,
                "synth_s": t2 - t1,
                "cpu_s": cpu2 - cpu1,
                "audio_s": samples / rate_hz,
                "rate_hz": rate_hz,
                "library": library,
                "version": dll.espeak_Info(None).decode(),
                "words": sum(len(text.split()) for text, _ in data["phrases"]),
            }
        )
    )


# The first argument of `run.py` that runs a helper here, and how the rest of its arguments are passed.
ENTRY_POINTS = {
    "_prepare": lambda args: child_prepare(*args[:3]),
    "_prepare_piper": lambda args: speech_piper.child_prepare(*args[:3]),
    "_piper_calibrate": lambda args: speech_piper.child_calibrate(),
    "_espeak": lambda args: child_espeak(args[0]),
    "_encode": lambda args: child_encode(args[0], args[1]),
}
