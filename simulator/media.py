"""Frames to files: the time stripe, MPEG-TS clips (H.264) and JPEG snapshots.

The stripe is mvbot's contract with tests and acceptance checks: across the top
`STRIPE_HEIGHT` rows, `STRIPE_BITS` equal-width blocks hold the frame's UTC time in
epoch milliseconds, most significant bit first, white = 1 and black = 0. On a
multi-imager camera the 1-blocks of imagers after the first are tinted (`IMAGER_COLOURS`),
bright enough to decode as 1 all the same, so a test can tell the imagers apart.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image

STRIPE_HEIGHT = 16
STRIPE_BITS = 48

Frame = NDArray[np.uint8]  # height x width x 3, RGB
# The colour of a 1-block for imager 1, 2, 3, 4 (then again from the second): each with a
# luma well above half scale, and far apart in chroma.
IMAGER_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 255, 255),
    (255, 255, 0),
    (0, 255, 255),
    (255, 128, 255),
)


def imager_colour(imager: int) -> tuple[int, int, int]:
    if imager <= 1:
        return IMAGER_COLOURS[0]
    return IMAGER_COLOURS[1 + (imager - 2) % (len(IMAGER_COLOURS) - 1)]


def _block_edges(width: int) -> list[int]:
    return [i * width // STRIPE_BITS for i in range(STRIPE_BITS + 1)]


def paint_stripe(frame: Frame, epoch_ms: int, imager: int = 1) -> None:
    """Write `epoch_ms` into the top rows of `frame` in place, in `imager`'s colour."""
    if not 0 <= epoch_ms < 2**STRIPE_BITS:
        raise ValueError(f"{epoch_ms} does not fit in {STRIPE_BITS} bits")
    edges = _block_edges(frame.shape[1])
    row = np.zeros((frame.shape[1], 3), dtype=np.uint8)
    colour = np.array(imager_colour(imager), dtype=np.uint8)
    for i in range(STRIPE_BITS):
        if (epoch_ms >> (STRIPE_BITS - 1 - i)) & 1:
            row[edges[i] : edges[i + 1]] = colour
    frame[:STRIPE_HEIGHT, :, :] = row[None, :, :]


def decode_imager(rgb: NDArray[Any]) -> int:
    """Which imager (1..4) painted a simulator frame's stripe: the nearest tint of its 1-blocks."""
    band = rgb[:STRIPE_HEIGHT].astype(np.float32)
    luma = band[..., 0] * 0.299 + band[..., 1] * 0.587 + band[..., 2] * 0.114
    lit = band[luma >= 127.5]
    if not len(lit):
        raise ValueError("the stripe has no 1-block to read a tint from")
    mean = lit.mean(axis=0)
    distances = [float(np.sum((mean - np.array(c)) ** 2)) for c in IMAGER_COLOURS]
    return distances.index(min(distances)) + 1


def decode_stripe(rgb: NDArray[Any]) -> int:
    """The UTC epoch milliseconds a simulator frame carries in its stripe.

    Averages each block's luma (BT.601) and thresholds it at half scale.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < STRIPE_HEIGHT:
        raise ValueError(f"expected an RGB frame (height x width x 3), got shape {rgb.shape}")
    band = rgb[:STRIPE_HEIGHT].astype(np.float32)
    luma = band[..., 0] * 0.299 + band[..., 1] * 0.587 + band[..., 2] * 0.114
    edges = _block_edges(rgb.shape[1])
    value = 0
    for i in range(STRIPE_BITS):
        block = luma[:, edges[i] : edges[i + 1]]
        value = (value << 1) | int(block.mean() >= 127.5)
    return value


def frame_count(duration: float, fps: int) -> int:
    """Frames in a clip of `duration` seconds: round(duration * fps), halves up, at least 1."""
    return max(1, int(duration * fps + 0.5))


def frame_time_ms(start_ms: int, index: int, fps: int) -> int:
    """The time frame `index` of a clip starting at `start_ms` shows."""
    return start_ms + (index * 1000 + fps // 2) // fps


def encode_clip(
    render: Callable[[int], Frame], start_ms: int, frames: int, fps: int, path: Path
) -> None:
    """Write an MPEG-TS file of H.264 frames `render(t_ms)` for t = start + i/fps.

    PTS start at 0 and advance one frame per 1/fps; no B-frames and a keyframe
    every second, so any one-second boundary can be cut or remuxed cleanly.
    The file appears under `path` only once complete.
    """
    partial = path.with_name(path.name + f".{os.getpid()}.part")
    first = render(start_ms)
    height, width = first.shape[:2]
    time_base = Fraction(1, fps)
    try:
        with av.open(str(partial), mode="w", format="mpegts") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.time_base = time_base
            stream.options = {
                "preset": "ultrafast",
                "crf": "20",
                "bf": "0",
                "g": str(fps),
                "keyint_min": str(fps),
                "sc_threshold": "0",
            }
            for index in range(frames):
                image = first if index == 0 else render(frame_time_ms(start_ms, index, fps))
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, frame.time_base = index, time_base
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def encode_jpeg(image: Frame, quality: int = 88) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=quality)
    return out.getvalue()
