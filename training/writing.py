"""Writing conventions that MNIST's writers rarely used, drawn onto training digits, on whole tensors.

    from training.writing import add_conventions
    images = add_conventions(data.train_images, data.train_labels, generator)   # uint8 (50000, 28, 28)

Slashed zeros, serifs (feet) on 1s, closed and opened 4s, crossed 7s, and 9s with a straight
or a curled tail, each on a fixed share of its class (SHARES), then the digit framed again as
the service frames an upload. The strokes are hard-edged where the convention test set's
(training.conventions) are soft, and every width, angle, length and position is drawn from
ranges that leave out the test set's, on either side where they can: the test set measures
whether a model learned the convention, not these strokes.
"""

import math

import torch

from training import strokes

# Share of each class's augmented images that get each convention (the 4s and 9s: one or the other).
SHARES = {
    "slashed-0": 0.3,
    "serif-1": 0.25,
    "closed-4": 0.45,
    "open-4": 0.1,
    "crossed-7": 0.3,
    "straight-tail-9": 0.15,
    "curled-tail-9": 0.3,
}
# The strokes' half-width in px, where they fall to half strength, as (low, high, gap): the test
# set's soft strokes fall to half strength 1.3-1.65 px from their centre line.
RADIUS = (0.6, 2.2, (1.25, 1.7))


def outside(n: int, low: float, high: float, gap: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """n uniform draws from [low, high] less the gap (gap_low, gap_high): the test set's own range."""
    width = gap[1] - gap[0]
    u = torch.rand(n, generator=generator) * (high - low - width) + low
    return torch.where(u >= gap[0], u + width, u)


def ink(images: torch.Tensor, distance: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """Lay a hard-edged, anti-aliased stroke of half-width radius (k,) along distance 0 over the images."""
    return torch.maximum(images, (radius.view(-1, 1, 1) + 0.5 - distance).clamp(0, 1))


def slash(images: torch.Tensor, height: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    top, bottom, left, right = strokes.ink_box(images)
    centre = torch.stack([(left + right) / 2, (top + bottom) / 2], dim=1)
    half = (height * p["length"]).unsqueeze(1) * strokes.heading(-torch.deg2rad(p["angle"]))
    return ink(images, strokes.segment_distance(centre - half, centre + half), p["radius"])


def foot(images: torch.Tensor, height: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    base = strokes.lowest_ink(images)
    half = (height * p["length"] / 2).unsqueeze(1) * strokes.heading(torch.deg2rad(p["tilt"]))
    return ink(images, strokes.segment_distance(base - half, base + half), p["radius"])


def close_four(images: torch.Tensor, height: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    _, _, left, right = strokes.ink_box(images)
    columns = torch.arange(float(strokes.SIDE)).unsqueeze(0) < ((left + right) / 2).unsqueeze(1)
    arm, stem = strokes.topmost_ink(images, columns), strokes.topmost_ink(images, ~columns)
    end = stem + torch.stack([torch.zeros_like(height), height * p["drop"]], dim=1)
    closed = ink(images, strokes.segment_distance(arm, end), p["radius"])
    # A negative drop ends the stroke above the stem's top: the stem is carried up to meet it.
    above = stem + torch.stack([torch.zeros_like(height), height * p["drop"].clamp(max=0)], dim=1)
    return ink(closed, strokes.segment_distance(stem, above), p["radius"])


def open_four(images: torch.Tensor, height: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    top, _, left, right = strokes.ink_box(images)
    edges = strokes.stem_edges(images, (left + right) / 2, by_reach=True)
    return strokes.shift_left_above(images, top + p["pivot"] * height, edges, p["slope"])


def cross(images: torch.Tensor, height: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    top, _, _, _ = strokes.ink_box(images)
    row = top + height * p["down"]
    centre = torch.stack([strokes.row_ink_centre(images, row), row], dim=1)
    half = (height * p["length"] / 2).unsqueeze(1) * strokes.heading(torch.deg2rad(p["tilt"]))
    return ink(images, strokes.segment_distance(centre - half, centre + half), p["radius"])


def straight_tail(images: torch.Tensor, height: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    end = strokes.lowest_ink(images)
    reach = (height * p["length"]).unsqueeze(1) * strokes.heading(torch.deg2rad(90.0 + p["tilt"]))
    return ink(images, strokes.segment_distance(end, end + reach), p["radius"])


def curled_tail(images: torch.Tensor, height: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    end = strokes.lowest_ink(images)
    radius = height * p["curl"]
    centre = end - torch.stack([radius, torch.zeros_like(radius)], dim=1)
    points = strokes.arc(centre, radius, torch.zeros_like(radius), math.pi * p["sweep"], m=9)
    return ink(images, strokes.polyline_distance(points), p["radius"])


# Each convention: its class, how it is drawn, and its parameters as (low, high, gap): drawn from
# [low, high] less the gap, which is the convention test set's range for the same parameter.
CONVENTIONS = {
    "slashed-0": (0, slash, {"angle": (38.0, 82.0, (55.0, 70.0)), "length": (0.38, 0.68, (0.5, 0.6))}),
    "serif-1": (1, foot, {"length": (0.3, 0.72, (0.45, 0.6)), "tilt": (-8.0, 8.0, (-3.0, 3.0))}),
    "closed-4": (4, close_four, {"drop": (-0.15, 0.2, (0.0, 0.08))}),
    "open-4": (4, open_four, {"slope": (0.12, 0.5, (0.25, 0.4)), "pivot": (0.5, 0.7, (0.58, 0.62))}),
    "crossed-7": (
        7,
        cross,
        {"down": (0.4, 0.68, (0.5, 0.6)), "length": (0.3, 0.75, (0.45, 0.6)), "tilt": (-10.0, 10.0, (-4.0, 4.0))},
    ),
    "straight-tail-9": (9, straight_tail, {"length": (0.15, 0.45, (0.25, 0.35)), "tilt": (-10.0, 10.0, (-3.0, 3.0))}),
    "curled-tail-9": (9, curled_tail, {"curl": (0.08, 0.22, (0.12, 0.18)), "sweep": (0.6, 1.4, (0.9, 1.2))}),
}


def choices(labels: torch.Tensor, generator: torch.Generator, scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Which images get which convention: bool (batch,) per convention, none twice; each on
    scale x its share (SHARES) of its class.

    One draw per image whatever its label, so that the generator's later draws do not depend on it.
    """
    u = torch.rand(len(labels), generator=generator)
    taken = torch.zeros(len(labels))  # the share of u already given to this class's other conventions
    chosen = {}
    for name, (digit, _, _) in CONVENTIONS.items():
        is_class = labels == digit
        share = scale * SHARES[name]
        chosen[name] = is_class & (u >= taken) & (u < taken + share)
        taken = torch.where(is_class, taken + share, taken)
    return chosen


def add_conventions(
    images: torch.Tensor, labels: torch.Tensor, generator: torch.Generator, scale: float = 1.0, framed: bool = True
) -> torch.Tensor:
    """Draw each convention onto scale x its share of its class: images uint8 (n, 28, 28), labels (n,) -> uint8.

    Meant for a whole training set at once, once an epoch: only the chosen images are drawn on.
    Each is then framed again (strokes.reframe) as the service frames an upload: a closing stroke
    atop a 4 moves its centre of mass up, so the 4 reaches a model lower than MNIST drew it. The
    models learn the convention as uploads show it. framed=False: the strokes where they were drawn.
    """
    n = len(labels)
    chosen = choices(labels, generator, scale)
    radius = outside(n, *RADIUS, generator)
    out = images.clone()
    for name, (_, draw, ranges) in CONVENTIONS.items():
        params = {key: outside(n, low, high, gap, generator) for key, (low, high, gap) in ranges.items()}
        picked = chosen[name]
        if not picked.any():
            continue
        some = images[picked].float() / 255
        top, bottom, _, _ = strokes.ink_box(some)
        params = {"radius": radius[picked], **{key: value[picked] for key, value in params.items()}}
        drawn = draw(some, bottom - top + 1, params)
        out[picked] = ((strokes.reframe(drawn) if framed else drawn) * 255).round().clamp(0, 255).to(torch.uint8)
    return out
