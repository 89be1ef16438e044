"""Geometry for the dashboard's server-rendered SVG charts; templates draw it, no JavaScript involved."""

from dataclasses import dataclass

WIDTH = 640
HEIGHT = 180
PAD_LEFT = 36
PAD_BOTTOM = 22
PAD_TOP = 18
MAX_BAR_WIDTH = 56


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: object


def bars(labels, values, maximum=None, width=WIDTH, height=HEIGHT):
    """Vertical bars for `values` (None draws nothing), scaled to `maximum` or the largest value."""
    top = maximum or max([v for v in values if v is not None] or [0]) or 1
    inner_w = width - PAD_LEFT
    inner_h = height - PAD_BOTTOM - PAD_TOP
    slot = inner_w / max(1, len(values))
    result = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = 0 if value is None else inner_h * min(value, top) / top
        bar_width = min(slot * 0.7, MAX_BAR_WIDTH)
        result.append(Bar(x=round(PAD_LEFT + index * slot + (slot - bar_width) / 2, 1),
                          y=round(PAD_TOP + inner_h - h, 1), width=round(bar_width, 1), height=round(h, 1),
                          label=label, value=value))
    return result


@dataclass(frozen=True)
class Row:
    y: float
    width: float
    label: str
    value: object


# Horizontal bars: the label column on the left is wide enough for a category in words.
ROW_HEIGHT = 22
LABEL_WIDTH = 300
VALUE_ROOM = 40
LABEL_UNITS = 46  # what fits in LABEL_WIDTH at the axis font: a Chinese character counts two


def rows(labels, values, width=WIDTH):
    """One row per value, its label on the left and its bar after LABEL_WIDTH, so labels never meet;
    (rows, the chart's height)."""
    top = max([v for v in values if v is not None] or [0]) or 1
    inner_w = width - LABEL_WIDTH - VALUE_ROOM
    result = [Row(y=PAD_TOP + index * ROW_HEIGHT, width=round(inner_w * (value or 0) / top, 1),
                  label=shorten(str(label)), value=value)
              for index, (label, value) in enumerate(zip(labels, values, strict=True))]
    return result, PAD_TOP + len(result) * ROW_HEIGHT


def _units(character):
    return 2 if ord(character) >= 0x2E80 else 1


def shorten(text, limit=LABEL_UNITS):
    """The text cut to `limit` units with an ellipsis, so a label stays inside its column."""
    if sum(map(_units, text)) <= limit:
        return text
    used, kept = 1, []
    for character in text:
        used += _units(character)
        if used > limit:
            break
        kept.append(character)
    return "".join(kept).rstrip() + "…"


def _position(index, value, count, minimum, maximum, width, height):
    inner_w = width - PAD_LEFT
    inner_h = height - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, count - 1)
    y = PAD_TOP + inner_h - inner_h * (value - minimum) / (maximum - minimum)
    return round(PAD_LEFT + index * step, 1), round(y, 1)


def points(values, minimum, maximum, width=WIDTH, height=HEIGHT):
    """(x, y) of each value that is not None, so a lone day still shows as a dot."""
    return [_position(index, value, len(values), minimum, maximum, width, height)
            for index, value in enumerate(values) if value is not None]


def line(values, minimum, maximum, width=WIDTH, height=HEIGHT):
    """Polyline segments for a series (None breaks the line), on a fixed scale from `minimum` to `maximum`."""
    segments, current = [], []
    for index, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append(_position(index, value, len(values), minimum, maximum, width, height))
    if current:
        segments.append(current)
    return [" ".join(f"{x},{y}" for x, y in segment) for segment in segments]


def y_ticks(minimum, maximum, count=4, height=HEIGHT):
    """(y position, label) for horizontal grid lines."""
    inner_h = height - PAD_BOTTOM - PAD_TOP
    ticks = []
    for n in range(count + 1):
        value = minimum + (maximum - minimum) * n / count
        ticks.append((round(PAD_TOP + inner_h - inner_h * n / count, 1), f"{value:g}"))
    return ticks


def x_labels(days, width=WIDTH):
    """(x, label) for about one day a week, the last day always, never two labels on top of each other."""
    inner_w = width - PAD_LEFT
    step = inner_w / max(1, len(days) - 1)
    every = max(1, round(len(days) / 6))
    chosen = [index for index in range(len(days)) if index % every == 0]
    last = len(days) - 1
    if chosen and last - chosen[-1] < every / 2:
        chosen[-1] = last
    elif last not in chosen:
        chosen.append(last)
    return [(round(PAD_LEFT + index * step, 1), days[index][5:]) for index in chosen]


GEOMETRY = {"width": WIDTH, "height": HEIGHT, "pad_left": PAD_LEFT, "pad_bottom": PAD_BOTTOM, "pad_top": PAD_TOP,
            "row_height": ROW_HEIGHT, "label_width": LABEL_WIDTH}
