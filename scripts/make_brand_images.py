# ruff: noqa: INP001  (scripts/ holds stand-alone commands, not a package)
"""Draw the Joulo brand images for Home Assistant.

Writes into custom_components/joulo/brand/:

- icon.png (256x256) and icon@2x.png (512x512): the mark, a rounded square in a green-to-teal
  gradient with a white "J" drawn as a charging cable that ends in a plug;
- logo.png (height 256) and logo@2x.png (height 512): the mark and the word "Joulo";
- dark_logo.png and dark_logo@2x.png: the same for dark backgrounds (light lettering).

Everything is drawn with shapes (no font files), four times larger than needed and scaled down,
so edges are antialiased. The images have a transparent background and no empty border.

Needs Pillow, which is not a requirement of the integration: run it from any environment that
has it, for example ``python3 -m venv /tmp/brandvenv && /tmp/brandvenv/bin/pip install pillow``
and then ``/tmp/brandvenv/bin/python scripts/make_brand_images.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

BRAND_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "joulo" / "brand"

SUPERSAMPLE = 4
GRADIENT_START = (52, 211, 153)  # fresh green, top left
GRADIENT_END = (13, 148, 136)  # teal, bottom right
MARK_WHITE = (255, 255, 255)
TEXT_ON_LIGHT = (15, 42, 46)  # deep teal-black
TEXT_ON_DARK = (240, 253, 250)  # near white with a hint of mint

Point = tuple[float, float]
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Pen:
    """Draws strokes of one width with round ends on a greyscale mask."""

    draw: ImageDraw.ImageDraw
    width: float

    def dot(self, center: Point) -> None:
        """Fill a disc as wide as the stroke (a round stroke end)."""
        radius = self.width / 2
        x, y = center
        self.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)

    def line(self, start: Point, end: Point) -> None:
        """Stroke a straight line with round ends."""
        half = self.width / 2
        angle = math.atan2(end[1] - start[1], end[0] - start[0])
        dx, dy = -math.sin(angle) * half, math.cos(angle) * half
        self.draw.polygon(
            [
                (start[0] + dx, start[1] + dy),
                (end[0] + dx, end[1] + dy),
                (end[0] - dx, end[1] - dy),
                (start[0] - dx, start[1] - dy),
            ],
            fill=255,
        )
        self.dot(start)
        self.dot(end)

    def arc(self, center: Point, radius: float, start_deg: float, end_deg: float) -> None:
        """Stroke a circular arc (degrees clockwise from 3 o'clock) with round ends."""
        half = self.width / 2
        steps = max(8, int(abs(end_deg - start_deg) * radius / 20))
        angles = [
            math.radians(start_deg + (end_deg - start_deg) * i / steps) for i in range(steps + 1)
        ]
        cx, cy = center
        outer = [
            (cx + (radius + half) * math.cos(a), cy + (radius + half) * math.sin(a)) for a in angles
        ]
        inner = [
            (cx + (radius - half) * math.cos(a), cy + (radius - half) * math.sin(a)) for a in angles
        ]
        self.draw.polygon(outer + inner[::-1], fill=255)
        self.dot((cx + radius * math.cos(angles[0]), cy + radius * math.sin(angles[0])))
        self.dot((cx + radius * math.cos(angles[-1]), cy + radius * math.sin(angles[-1])))

    def ring(self, center: Point, radius: float) -> None:
        """Stroke a full circle (clears its inside, so draw rings before overlapping ink)."""
        half = self.width / 2
        cx, cy = center
        outer, inner = radius + half, radius - half
        self.draw.ellipse((cx - outer, cy - outer, cx + outer, cy + outer), fill=255)
        self.draw.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), fill=0)


def _gradient(size: int, start: RGB, end: RGB) -> Image.Image:
    """Return a square RGB image shading diagonally from start (top left) to end."""
    ramp = Image.linear_gradient("L").rotate(45, resample=Image.Resampling.BICUBIC, expand=True)
    # Keep the largest upright square inside the turned one, so that no corner is empty.
    inset = round((ramp.width - 256 / math.sqrt(2)) / 2)
    ramp = ramp.crop((inset, inset, ramp.width - inset, ramp.height - inset))
    ramp = ramp.resize((size, size), Image.Resampling.BICUBIC)
    return Image.composite(
        Image.new("RGB", (size, size), end), Image.new("RGB", (size, size), start), ramp
    )


def _mark_symbol(size: int) -> Image.Image:
    """Return the white symbol of the mark (a plug on a J-shaped cable) as an L mask."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    unit = size / 100
    pen = Pen(draw, 11.5 * unit)

    stem_x = 58 * unit
    hook_radius = 15 * unit
    hook_center_y = 62 * unit
    # Cable: down from the plug, then the hook of the J curving to the left and up a little.
    pen.line((stem_x, 42 * unit), (stem_x, hook_center_y))
    pen.arc((stem_x - hook_radius, hook_center_y), hook_radius, 0, 160)

    # Plug body with two pins.
    body_w, body_top, body_bottom = 27 * unit, 22 * unit, 44 * unit
    draw.rounded_rectangle(
        (stem_x - body_w / 2, body_top, stem_x + body_w / 2, body_bottom),
        radius=6 * unit,
        fill=255,
    )
    pin_w, pin_top, pin_gap = 5.2 * unit, 11 * unit, 6.2 * unit
    for side in (-1, 1):
        x = stem_x + side * pin_gap
        draw.rounded_rectangle(
            (x - pin_w / 2, pin_top, x + pin_w / 2, body_top + 2 * unit),
            radius=pin_w / 2,
            fill=255,
        )
    # A small lightning bolt cut out of the plug body.
    bolt = [(3.5, 25.0), (-5.0, 34.5), (0.0, 34.5), (-3.5, 41.0), (5.0, 31.5), (0.0, 31.5)]
    draw.polygon([(stem_x + x * unit, y * unit) for x, y in bolt], fill=0)

    # Centre the symbol's ink in the square.
    box = mask.getbbox()
    if box is None:
        return mask
    left, top, right, bottom = box
    shift_x = round((size - (right - left)) / 2 - left)
    shift_y = round((size - (bottom - top)) / 2 - top)
    return ImageChops.offset(mask, shift_x, shift_y)


def draw_mark(size: int) -> Image.Image:
    """Return the mark (rounded square with the symbol) as RGBA, size x size, antialiased."""
    return _big_mark(size * SUPERSAMPLE).resize((size, size), Image.Resampling.LANCZOS)


def _wordmark_mask(cap_height: float) -> Image.Image:
    """Return the word "Joulo" drawn with round strokes as an L mask, cropped to its ink."""
    stroke = cap_height * 0.17
    x_height = cap_height * 0.74
    ascender = cap_height * 1.04
    gap = stroke * 0.95
    baseline = ascender + stroke  # room above for the tall letters
    width = int(cap_height * 5)
    mask = Image.new("L", (width, int(baseline + stroke)), 0)
    pen = Pen(ImageDraw.Draw(mask), stroke)
    half = stroke / 2

    # J: a stem from the cap height down into a hook to the left.
    j_radius = cap_height * 0.27
    j_x = half + 2 * j_radius
    pen.line((j_x, baseline - cap_height + half), (j_x, baseline - half - j_radius))
    pen.arc((j_x - j_radius, baseline - half - j_radius), j_radius, 0, 155)
    x = j_x + half + gap

    # o
    o_radius = (x_height - stroke) / 2
    pen.ring((x + half + o_radius, baseline - x_height / 2), o_radius)
    x += 2 * o_radius + stroke + gap

    # u: two stems joined by a bowl; the right stem runs down to the baseline.
    u_radius = o_radius
    left_x, right_x = x + half, x + half + 2 * u_radius
    bowl_y = baseline - half - u_radius
    pen.line((left_x, baseline - x_height + half), (left_x, bowl_y))
    pen.arc((left_x + u_radius, bowl_y), u_radius, 0, 180)
    pen.line((right_x, baseline - x_height + half), (right_x, baseline - half))
    x = right_x + half + gap

    # l
    pen.line((x + half, baseline - ascender + half), (x + half, baseline - half))
    x += stroke + gap

    # o
    pen.ring((x + half + o_radius, baseline - x_height / 2), o_radius)

    box = mask.getbbox()
    return mask if box is None else mask.crop(box)


def draw_logo(height: int, text_color: RGB) -> Image.Image:
    """Return the mark followed by the word "Joulo", height pixels high, trimmed."""
    big = height * SUPERSAMPLE
    mark = _big_mark(big)
    word = _wordmark_mask(big * 0.56)
    gap = round(big * 0.2)
    canvas = Image.new("RGBA", (big + gap + word.width, big), (0, 0, 0, 0))
    canvas.alpha_composite(mark)
    ink = Image.new("RGBA", word.size, (*text_color, 255))
    ink.putalpha(word)
    # Centre the word's ink (from the top of the "l" to the baseline) on the mark.
    canvas.alpha_composite(ink, (big + gap, round((big - word.height) / 2)))
    box = canvas.getbbox()
    if box is not None:
        canvas = canvas.crop(box)
    return canvas.resize(
        (round(canvas.width / SUPERSAMPLE), round(canvas.height / SUPERSAMPLE)),
        Image.Resampling.LANCZOS,
    )


def _big_mark(big: int) -> Image.Image:
    """Return the mark at supersampled size, not yet scaled down."""
    square = Image.new("L", (big, big), 0)
    ImageDraw.Draw(square).rounded_rectangle(
        (0, 0, big - 1, big - 1), radius=round(big * 0.225), fill=255
    )
    mark = _gradient(big, GRADIENT_START, GRADIENT_END).convert("RGBA")
    mark.putalpha(square)
    white = Image.new("RGBA", (big, big), (*MARK_WHITE, 255))
    return Image.composite(white, mark, _mark_symbol(big))


def _save(image: Image.Image, name: str) -> None:
    path = BRAND_DIR / name
    image.save(path, optimize=True)
    print(f"{path.relative_to(BRAND_DIR.parent.parent.parent)}: {image.width}x{image.height}")  # noqa: T201


def main() -> None:
    """Write every brand image."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    _save(draw_mark(256), "icon.png")
    _save(draw_mark(512), "icon@2x.png")
    _save(draw_logo(256, TEXT_ON_LIGHT), "logo.png")
    _save(draw_logo(512, TEXT_ON_LIGHT), "logo@2x.png")
    _save(draw_logo(256, TEXT_ON_DARK), "dark_logo.png")
    _save(draw_logo(512, TEXT_ON_DARK), "dark_logo@2x.png")


if __name__ == "__main__":
    main()
