"""Drawing camera frames: a static scene per camera and imager, plus time, people and stripe."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from simulator import sense
from simulator.fleet import FULL_FRAME_ZONE, Camera, Network
from simulator.media import STRIPE_HEIGHT, Frame, paint_stripe

Mask = NDArray[np.float32]  # height x width, coverage 0..1
Color = tuple[int, int, int]
Roi = tuple[float, float, float, float]

_WHITE: Color = (255, 255, 255)
_PERSON: Color = (255, 196, 64)
_VEHICLE: Color = (96, 200, 255)
_FLOOR: Roi = (0.0, 0.55, 1.0, 0.95)


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, round(size)))


def _triangle(value: float) -> float:
    """0 -> 1 -> 0 as `value` goes through each unit: smooth back-and-forth motion."""
    return 1.0 - abs(2.0 * (value % 1.0) - 1.0)


class FrameRenderer:
    """Draws one imager of one camera at one size; callable as `render(epoch_ms) -> RGB frame`."""

    def __init__(
        self, camera: Camera, network: Network, imager: int, width: int, height: int
    ) -> None:
        self.camera, self.network, self.imager = camera, network, imager
        self.width, self.height = width, height
        scale = height / 270.0
        self._time_font = _font(15 * scale)
        self._utc_font = _font(12 * scale)
        self._masks: dict[str, Mask] = {}
        self._pad = max(4, round(8 * scale))
        self._person = (max(3, round(7 * scale)), max(6, round(15 * scale)))
        self._static, self._time_xy, self._utc_xy = self._draw_static(scale)

    def __call__(self, epoch_ms: int) -> Frame:
        frame = self._static.copy()
        moment = epoch_ms / 1000.0
        self._draw_clock(frame, epoch_ms)
        self._draw_motion(frame, moment)
        paint_stripe(frame, epoch_ms, self.imager)
        return frame

    def _draw_static(self, scale: float) -> tuple[Frame, tuple[int, int], tuple[int, int]]:
        w, h, cam = self.width, self.height, self.camera
        hue = sense.unit(cam.serial, "hue", self.imager)
        top = np.array(_tint(hue, 0.35), dtype=np.float32)
        bottom = np.array(_tint(hue + 0.08, 0.18), dtype=np.float32)
        ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
        image = Image.fromarray(
            (top * (1 - ramp) + bottom * ramp).repeat(w, axis=1).astype(np.uint8)
        )
        draw = ImageDraw.Draw(image, "RGBA")
        horizon = int(h * (0.5 + 0.1 * sense.unit(cam.serial, "horizon", self.imager)))
        draw.rectangle((0, horizon, w, h), fill=(*_tint(hue + 0.5, 0.22), 255))
        for i in range(4):  # furniture, shelves, parked things: anything that stays put
            x0 = int(w * sense.unit(cam.serial, "thing-x", i, self.imager) * 0.85)
            bw = int(w * (0.06 + 0.1 * sense.unit(cam.serial, "thing-w", i, self.imager)))
            bh = int(h * (0.1 + 0.25 * sense.unit(cam.serial, "thing-h", i, self.imager)))
            shade = _tint(hue + 0.25 * i, 0.3 + 0.1 * i)
            draw.rectangle((x0, horizon - bh, x0 + bw, horizon + bh // 4), fill=(*shade, 255))
        label_font = _font(11 * scale)
        for zone in cam.zones:
            if zone.id == FULL_FRAME_ZONE:
                continue
            box = (zone.roi[0] * w, zone.roi[1] * h, zone.roi[2] * w, zone.roi[3] * h)
            draw.rectangle(box, outline=(255, 220, 0, 200), width=max(1, round(2 * scale)))
            draw.text(
                (box[0] + 3, box[3] - 3),
                zone.label,
                font=label_font,
                anchor="lb",
                fill=(255, 220, 0, 230),
            )
        for boundary in (*cam.areas, *cam.lines):
            points = [(x * w, y * h) for x, y in boundary.vertices]
            if boundary.kind == "area":
                draw.polygon(points, outline=(0, 255, 160, 200), width=max(1, round(scale)))
            else:
                draw.line(points, fill=(255, 64, 64, 230), width=max(2, round(3 * scale)))
        pad = self._pad
        name_font, small_font = _font(20 * scale), _font(12 * scale)
        lines = [
            (cam.name, name_font),
            (f"{cam.model} · {cam.serial} · imager {self.imager} of {cam.imagers}", small_font),
            (f"{self.network.name} · {self.network.time_zone}", small_font),
        ]
        panel_w = int(max(draw.textlength(text, font=font) for text, font in lines)) + 2 * pad
        panel_w = min(w - pad, max(panel_w, int(250 * scale)))
        y = STRIPE_HEIGHT + pad
        heights = [int(font.getbbox("Ag")[3] * 1.25) for _, font in lines]
        time_h, utc_h = int(15 * scale * 1.3), int(12 * scale * 1.3)
        panel_h = sum(heights) + time_h + utc_h + 2 * pad
        draw.rectangle((pad, y, pad + panel_w, y + panel_h), fill=(0, 0, 0, 150))
        cursor = y + pad // 2
        for (text, font), line_h in zip(lines, heights, strict=True):
            draw.text((2 * pad, cursor), text, font=font, fill=(*_WHITE, 255))
            cursor += line_h
        time_xy = (2 * pad, cursor + pad // 2)
        utc_xy = (2 * pad, cursor + pad // 2 + time_h)
        return np.array(image, dtype=np.uint8), time_xy, utc_xy

    def _mask(self, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> Mask:
        mask = self._masks.get(text)
        if mask is None:
            _, _, right, bottom = font.getbbox(text, anchor="lt")
            image = Image.new("L", (max(1, int(right)), max(1, int(bottom))))
            ImageDraw.Draw(image).text((0, 0), text, font=font, fill=255, anchor="lt")
            mask = np.asarray(image, dtype=np.float32) / 255.0
            if len(self._masks) > 512:  # a clip needs a few per second of footage
                self._masks.clear()
            self._masks[text] = mask
        return mask

    def _draw_clock(self, frame: Frame, epoch_ms: int) -> None:
        local = datetime.fromtimestamp(epoch_ms / 1000.0, self.network.zone)
        utc = datetime.fromtimestamp(epoch_ms / 1000.0, UTC)
        millis = f".{epoch_ms % 1000:03d}"
        rows = (
            (self._time_xy, self._time_font, f"{local:%Y-%m-%d %H:%M:%S}", f"{millis} {local:%Z}"),
            (self._utc_xy, self._utc_font, f"UTC {utc:%Y-%m-%d %H:%M:%S}", millis),
        )
        for (x, y), font, head, tail in rows:
            head_mask = self._mask(head, font)
            _blit(frame, head_mask, x, y, _WHITE)
            _blit(frame, self._mask(tail, font), x + head_mask.shape[1], y, _WHITE)
        if (epoch_ms // 1000) % 2 == 0:  # a blinking recording light
            r = max(3, self.height // 60)
            cx, cy = self.width - 3 * r, STRIPE_HEIGHT + 3 * r
            frame[cy - r : cy + r, cx - r : cx + r] = (230, 30, 30)
        seconds = (epoch_ms % 60_000) / 60_000.0  # a marker sweeping once a minute
        x = int(seconds * (self.width - 6))
        frame[self.height - 5 : self.height - 1, x : x + 6] = _WHITE

    def _draw_motion(self, frame: Frame, moment: float) -> None:
        cam = self.camera
        if not cam.sense:  # cameras without Sense still see someone walk by
            self._draw_walker(frame, _FLOOR, "passer", moment, _PERSON)
            return
        counts = sense.live_counts(cam, self.network.zone, moment)
        for kind, color in (("person", _PERSON), ("vehicle", _VEHICLE)):
            inside = 0
            for zone in cam.zones:
                if zone.id != FULL_FRAME_ZONE:
                    inside += counts[zone.id][kind]
                    self._draw_crowd(
                        frame, zone.roi, f"{zone.id}{kind}", counts[zone.id][kind], moment, color
                    )
            # The full frame also sees whoever is outside every zone.
            outside = counts[FULL_FRAME_ZONE][kind] - inside
            self._draw_crowd(frame, _FLOOR, f"0{kind}", outside, moment, color)

    def _draw_crowd(
        self, frame: Frame, roi: Roi, key: str, count: int, moment: float, color: Color
    ) -> None:
        for k in range(min(count, 12)):
            self._draw_walker(frame, roi, f"{key}{k}", moment, color)

    def _draw_walker(self, frame: Frame, roi: Roi, key: str, moment: float, color: Color) -> None:
        pw, ph = self._person
        ux = sense.unit(self.camera.serial, key, "x")
        uy = sense.unit(self.camera.serial, key, "y")
        period = 40.0 + 40.0 * sense.unit(self.camera.serial, key, "period")
        fx = _triangle(ux + moment / period)
        fy = _triangle(uy + moment / (period * 1.7))
        x0, y0 = roi[0] * self.width, roi[1] * self.height
        x = int(x0 + fx * max(1.0, roi[2] * self.width - x0 - pw))
        y = int(y0 + fy * max(1.0, roi[3] * self.height - y0 - ph))
        y = max(y, STRIPE_HEIGHT)
        frame[y : y + ph, x : x + pw] = color
        head = max(2, pw // 2)
        frame[max(STRIPE_HEIGHT, y - head) : y, x + pw // 4 : x + pw // 4 + head] = color


def _blit(frame: Frame, mask: Mask, x: int, y: int, color: Color) -> None:
    h = min(mask.shape[0], frame.shape[0] - y)
    w = min(mask.shape[1], frame.shape[1] - x)
    if h <= 0 or w <= 0:
        return
    alpha = mask[:h, :w, None]
    region = frame[y : y + h, x : x + w].astype(np.float32)
    region += (np.array(color, dtype=np.float32) - region) * alpha
    frame[y : y + h, x : x + w] = region.astype(np.uint8)


def _tint(hue: float, value: float) -> Color:
    """A muted colour of the given hue (0..1) and brightness (0..1)."""
    rgb = [value * (0.75 + 0.25 * math.cos(2 * math.pi * (hue + k / 3))) for k in range(3)]
    r, g, b = (min(255, int(255 * c)) for c in rgb)
    return (r, g, b)


class Studio:
    """Renderers shared by every clip and snapshot, one per camera, imager and size."""

    def __init__(self) -> None:
        self._renderers: dict[tuple[str, int, int, int], FrameRenderer] = {}
        self._lock = threading.Lock()

    def renderer(
        self, camera: Camera, network: Network, imager: int, width: int, height: int
    ) -> FrameRenderer:
        key = (camera.serial, imager, width, height)
        with self._lock:
            found = self._renderers.get(key)
            if found is None:
                found = FrameRenderer(camera, network, imager, width, height)
                self._renderers[key] = found
            return found
