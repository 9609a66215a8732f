"""The convention test set: MNIST test digits redrawn in writing conventions that MNIST's writers rarely used.

    from training.conventions import convention_set
    for name, part in convention_set().items():    # "slashed-0", "crossed-7", ...
        part.images.shape                            # (400, 28, 28) uint8, in MNIST's form
        part.originals                               # the same test digits as they were

Each convention is drawn onto MNIST *test* digits of its class (never training digits), each
image onto a different digit, then the digit is brought back to MNIST's form (longer side 20 px,
centre of mass at the centre), as the service does to an upload. The generator and every
parameter below are fixed: they were set before any augmentation was tuned against this set.
The strokes here have a soft (Gaussian) profile and widths, angles, lengths and positions that
the training augmentation (training.writing) keeps out of its ranges, so the set measures
whether a model learned the convention rather than the augmentation's exact strokes.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from training import strokes
from training.mnist import load_test_set

SET_SEED = 15  # the generator's seed; each convention draws from SET_SEED + its index
PER_CONVENTION = 400  # images of each convention, each from a different test digit
BOX = 20  # MNIST fits a digit's longer side to 20 px ...
CENTRE = 14.0  # ... and puts its centre of mass on pixel 14
# The test strokes: a Gaussian profile of this standard deviation in px (visible about 1.5 px either side
# of the stroke's centre line) and this peak brightness.
SIGMA = (0.9, 1.1)
PEAK = (0.85, 1.0)

Draw = Callable[[torch.Tensor, torch.Tensor, "Draws"], torch.Tensor]  # (images, heights, draws) -> images


@dataclass(frozen=True)
class Part:
    images: torch.Tensor  # (n, 28, 28) uint8: the digits with the convention drawn on
    originals: torch.Tensor  # (n, 28, 28) uint8: the same test digits untouched
    labels: torch.Tensor  # (n,) int64
    indices: torch.Tensor  # (n,) the digits' positions in MNIST's test set


class Draws:
    """One generator's uniform draws, one value per image: draws(low, high) -> (k,)."""

    def __init__(self, k: int, seed: int) -> None:
        self.k, self.generator = k, torch.Generator().manual_seed(seed)

    def __call__(self, low: float, high: float) -> torch.Tensor:
        return torch.rand(self.k, generator=self.generator) * (high - low) + low


def ink(images: torch.Tensor, distance: torch.Tensor, draws: Draws) -> torch.Tensor:
    """Lay a soft stroke whose centre line is at distance 0 (distance: (k, 28, 28)) over the images."""
    sigma, peak = draws(*SIGMA).view(-1, 1, 1), draws(*PEAK).view(-1, 1, 1)
    stroke = (1.5 * torch.exp(-(distance**2) / (2 * sigma**2))).clamp(max=1.0) * peak
    return torch.maximum(images, stroke)


def slashed_zero(images: torch.Tensor, height: torch.Tensor, draws: Draws) -> torch.Tensor:
    """A slash through the 0's middle, rising to the right at 55-70°, 1.0-1.2 digit heights long."""
    top, bottom, left, right = strokes.ink_box(images)
    centre = torch.stack([(left + right) / 2, (top + bottom) / 2], dim=1)
    half = (height * draws(0.5, 0.6)).unsqueeze(1) * strokes.heading(-torch.deg2rad(draws(55.0, 70.0)))
    return ink(images, strokes.segment_distance(centre - half, centre + half), draws)


def crossed_seven(images: torch.Tensor, height: torch.Tensor, draws: Draws) -> torch.Tensor:
    """A bar across the 7's stem, 50-60 % of the way down, 0.45-0.6 of the digit's height long, within ±4°."""
    top, _, _, _ = strokes.ink_box(images)
    row = top + height * draws(0.5, 0.6)
    centre = torch.stack([strokes.row_ink_centre(images, row), row], dim=1)
    half = (height * draws(0.45, 0.6) / 2).unsqueeze(1) * strokes.heading(torch.deg2rad(draws(-4.0, 4.0)))
    return ink(images, strokes.segment_distance(centre - half, centre + half), draws)


def serif_one(images: torch.Tensor, height: torch.Tensor, draws: Draws) -> torch.Tensor:
    """A foot under the 1 (0.45-0.6 of its height), and on every other image a short flag at the top."""
    foot = strokes.lowest_ink(images)
    half = (height * draws(0.45, 0.6) / 2).unsqueeze(1) * strokes.heading(torch.deg2rad(draws(-3.0, 3.0)))
    images = ink(images, strokes.segment_distance(foot - half, foot + half), draws)
    top, _, _, _ = strokes.ink_box(images)
    peak = torch.stack([strokes.row_ink_centre(images, top), top], dim=1)
    # Down to the left, 0.15-0.24 of the height long at 17-29° below the horizontal.
    reach = (height * draws(0.15, 0.24)).unsqueeze(1) * strokes.heading(math.pi - torch.deg2rad(draws(17.0, 29.0)))
    flagged = ink(images, strokes.segment_distance(peak, peak + reach), draws)
    every_other = (torch.arange(len(images)) % 2 == 0).view(-1, 1, 1)
    return torch.where(every_other, flagged, images)


def closed_four(images: torch.Tensor, height: torch.Tensor, draws: Draws) -> torch.Tensor:
    """A stroke from the top of the 4's left arm to its stem, up to 8 % of the height below the stem's top."""
    _, _, left, right = strokes.ink_box(images)
    columns = torch.arange(float(strokes.SIDE)).unsqueeze(0) < ((left + right) / 2).unsqueeze(1)  # (k, 28) left half
    arm, stem = strokes.topmost_ink(images, columns), strokes.topmost_ink(images, ~columns)
    stem = stem + torch.stack([torch.zeros_like(height), height * draws(0.0, 0.08)], dim=1)
    return ink(images, strokes.segment_distance(arm, stem), draws)


def open_four(images: torch.Tensor, height: torch.Tensor, draws: Draws) -> torch.Tensor:
    """The 4's top opened: ink left of the stem and above 60 % of the height leans away, 0.25-0.4 px a row."""
    top, _, left, right = strokes.ink_box(images)
    edges = strokes.stem_edges(images, (left + right) / 2)
    return strokes.shift_left_above(images, top + 0.6 * height, edges, draws(0.25, 0.4))


def straight_tail_nine(images: torch.Tensor, height: torch.Tensor, draws: Draws) -> torch.Tensor:
    """The 9's tail carried straight down from its end, 0.25-0.35 of the height, within 3° of vertical."""
    end = strokes.lowest_ink(images)
    reach = (height * draws(0.25, 0.35)).unsqueeze(1) * strokes.heading(torch.deg2rad(90.0 + draws(-3.0, 3.0)))
    return ink(images, strokes.segment_distance(end, end + reach), draws)


def curled_tail_nine(images: torch.Tensor, height: torch.Tensor, draws: Draws) -> torch.Tensor:
    """A hook at the end of the 9's tail: an arc of radius 0.12-0.18 heights curling down, left and up."""
    end = strokes.lowest_ink(images)
    radius = height * draws(0.12, 0.18)
    centre = end - torch.stack([radius, torch.zeros_like(radius)], dim=1)  # the arc starts at the tail's end
    points = strokes.arc(centre, radius, torch.zeros_like(radius), math.pi * draws(0.9, 1.2), m=9)
    return ink(images, strokes.polyline_distance(points), draws)


CONVENTIONS: dict[str, tuple[int, Draw]] = {
    "slashed-0": (0, slashed_zero),
    "serif-1": (1, serif_one),
    "closed-4": (4, closed_four),
    "open-4": (4, open_four),
    "crossed-7": (7, crossed_seven),
    "straight-tail-9": (9, straight_tail_nine),
    "curled-tail-9": (9, curled_tail_nine),
}


def mnist_form(image: torch.Tensor) -> torch.Tensor:
    """float (28, 28) -> the ink's box scaled so its longer side is 20 px, centre of mass at the centre."""
    rows, cols = (image > 0.02).nonzero(as_tuple=True)
    crop = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX / max(crop.shape)
    size = [max(1, round(side * scale)) for side in crop.shape]
    small = F.interpolate(crop[None, None], size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0]
    small = small.clamp(0, 1)
    mass = small.sum()
    centre_y = (small.sum(1) * torch.arange(float(size[0]))).sum() / mass
    centre_x = (small.sum(0) * torch.arange(float(size[1]))).sum() / mass
    y = min(max(round(CENTRE - centre_y.item()), 0), strokes.SIDE - size[0])
    x = min(max(round(CENTRE - centre_x.item()), 0), strokes.SIDE - size[1])
    out = torch.zeros(strokes.SIDE, strokes.SIDE)
    out[y : y + size[0], x : x + size[1]] = small
    return out


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    return (images * 255).round().clamp(0, 255).to(torch.uint8)


def convention_set(data_dir: str | Path | None = None) -> dict[str, Part]:
    """Every convention's images, drawn on PER_CONVENTION test digits of its class apiece.

    The digits of each class are shuffled once (seeded by the class); conventions of the same
    class take consecutive, disjoint slices of that order.
    """
    test_images, test_labels = load_test_set(data_dir)
    taken: dict[int, int] = {}
    parts = {}
    for index, (name, (digit, draw)) in enumerate(CONVENTIONS.items()):
        of_class = (test_labels == digit).nonzero().squeeze(1)
        order = of_class[torch.randperm(len(of_class), generator=torch.Generator().manual_seed(SET_SEED + digit))]
        start = taken.get(digit, 0)
        chosen = order[start : start + PER_CONVENTION]
        taken[digit] = start + PER_CONVENTION
        originals = test_images[chosen]
        images = originals.float() / 255
        top, bottom, _, _ = strokes.ink_box(images)
        drawn = draw(images, bottom - top + 1, Draws(len(chosen), SET_SEED + index))
        formed = torch.stack([mnist_form(image) for image in drawn])
        parts[name] = Part(to_uint8(formed), originals, test_labels[chosen], chosen)
    return parts
