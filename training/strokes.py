"""Geometry for drawing pen strokes onto batches of 28x28 digits, on whole tensors.

Both the writing-convention augmentation (training.writing) and the convention test set
(training.conventions) draw with these; each chooses its own stroke profile and parameters.
Images are float (k, 28, 28) with ink near 1 on a background of 0; points are (x, y) in pixels,
x the column and y the row, pixel centres at whole numbers.
"""

import torch
import torch.nn.functional as F

SIDE = 28
INK = 0.5  # a pixel at least this bright is ink, for the geometry below
PIXEL_CENTRES = torch.stack(
    torch.meshgrid(torch.arange(float(SIDE)), torch.arange(float(SIDE)), indexing="xy"), dim=-1
)  # (28 rows, 28 columns, (x, y))


def heading(angle: torch.Tensor) -> torch.Tensor:
    """Unit vectors (k, 2) at angle radians below the horizontal, pointing right (image coordinates)."""
    return torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)


def segment_distance(start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """Distance of every pixel centre to each segment: start, end (k, 2) -> (k, 28, 28).

    On x and y planes of (k, 28, 28) apiece: a trailing dimension of 2 would be several times slower."""
    k = start.shape[0]
    x, y = PIXEL_CENTRES[..., 0], PIXEL_CENTRES[..., 1]  # (28, 28) each
    ax, ay = start[:, 0].view(k, 1, 1), start[:, 1].view(k, 1, 1)
    bx, by = (end[:, 0] - start[:, 0]).view(k, 1, 1), (end[:, 1] - start[:, 1]).view(k, 1, 1)
    dx, dy = x - ax, y - ay
    t = ((dx * bx + dy * by) / (bx * bx + by * by).clamp(min=1e-6)).clamp(0, 1)
    return torch.hypot(dx - t * bx, dy - t * by)


def polyline_distance(points: torch.Tensor) -> torch.Tensor:
    """Distance of every pixel centre to a polyline: points (k, m, 2) -> (k, 28, 28)."""
    parts = [segment_distance(points[:, i], points[:, i + 1]) for i in range(points.shape[1] - 1)]
    return torch.stack(parts).amin(0)


def ink_box(images: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Top, bottom, left and right inked row/column of each image (k,) as floats; 0s where blank."""
    rows, cols = (images > INK).any(2), (images > INK).any(1)  # (k, 28) each
    top = rows.float().argmax(1)
    bottom = SIDE - 1 - rows.flip(1).float().argmax(1)
    left = cols.float().argmax(1)
    right = SIDE - 1 - cols.flip(1).float().argmax(1)
    return top.float(), bottom.float(), left.float(), right.float()


def row_ink_centre(images: torch.Tensor, rows: torch.Tensor, columns: torch.Tensor | None = None) -> torch.Tensor:
    """Mean column of the ink on each image's row rows (k,) (rounded), among columns (k, 28) if given."""
    k = images.shape[0]
    line = images[torch.arange(k), rows.round().long().clamp(0, SIDE - 1)] > INK  # (k, 28)
    if columns is not None:
        line = line & columns
    weights = line.float()
    centre = (weights * torch.arange(float(SIDE))).sum(1) / weights.sum(1).clamp(min=1)
    return torch.where(weights.sum(1) > 0, centre, torch.full_like(centre, SIDE / 2))


def topmost_ink(images: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """(x, y) of the highest ink among columns (k, 28) bool, leftmost on that row: (k, 2)."""
    ink = (images > INK) & columns.unsqueeze(1)  # (k, 28, 28)
    rows = ink.any(2)
    y = rows.float().argmax(1)
    x = ink[torch.arange(images.shape[0]), y].float().argmax(1)
    return torch.stack([x.float(), y.float()], dim=1)


def lowest_ink(images: torch.Tensor) -> torch.Tensor:
    """(x, y) of the lowest ink, the mean column of the ink on that row: (k, 2)."""
    _, bottom, _, _ = ink_box(images)
    return torch.stack([row_ink_centre(images, bottom), bottom], dim=1)


def arc(centre: torch.Tensor, radius: torch.Tensor, start: torch.Tensor, sweep: torch.Tensor, m: int) -> torch.Tensor:
    """m points along circular arcs (k, m, 2): centre (k, 2), radius, start angle and sweep (k,) in radians.

    Angles are measured in image coordinates (y down): 0 points right, pi/2 points down.
    """
    angles = start.unsqueeze(1) + sweep.unsqueeze(1) * torch.linspace(0, 1, m)  # (k, m)
    offsets = torch.stack([torch.cos(angles), torch.sin(angles)], dim=-1) * radius.view(-1, 1, 1)
    return centre.unsqueeze(1) + offsets


def stem_edges(images: torch.Tensor, middle: torch.Tensor, by_reach: bool = False) -> torch.Tensor:
    """Per row, the left edge of the rightmost ink run, where the row has a stem; else 28: (k, 28).

    A row has a stem when that run starts right of middle (k,), or with by_reach when the row's ink
    reaches middle at all: then a crossbar joined to the stem stays whole. On a 4 above its
    crossbar the rightmost run is the stem, and what lies left of its edge is the arm.
    """
    ink = images > INK  # (k, 28 rows, 28 columns)
    starts = ink.clone()
    starts[..., 1:] &= ~ink[..., :-1]  # a run starts where ink follows no ink
    columns = torch.arange(1.0, SIDE + 1)
    last = (starts.float() * columns).amax(2) - 1  # column of the last run start, -1 if none
    reach = (ink.float() * columns).amax(2) - 1 if by_reach else last  # the row's rightmost ink
    return torch.where(reach >= middle.unsqueeze(1), last, torch.full_like(last, float(SIDE)))


def shift_left_above(images: torch.Tensor, row: torch.Tensor, edges: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """Move the ink above row (k,) and left of each row's edge (k, 28) further left, slope px a row above.

    Ink at (x, y) with y < row and x < edges[y] - 1 moves to x - slope * (row - y): an arm leaning on
    the stem of a 4 opens away from it. The edge's own soft pixel stays with the stem. images (k, 28, 28).
    """
    x, y = PIXEL_CENTRES[..., 0], PIXEL_CENTRES[..., 1]  # (28, 28)
    k = images.shape[0]
    lift = (row.view(k, 1, 1) - y).clamp(min=0)  # rows above the pivot row
    moved = x + slope.view(k, 1, 1) * lift  # the source column of each output pixel left of the edge
    edge = (edges - 1).unsqueeze(2)  # (k, 28 rows, 1)
    # Right of the edge nothing moves; left of it, what would come from the stem's side is left blank.
    source_x = torch.where(x >= edge, x, torch.where(moved < edge, moved, torch.full_like(moved, -SIDE)))
    source = torch.stack([source_x, y.expand(k, -1, -1)], dim=-1)  # (k, 28, 28, (x, y)) in pixels
    grid = (source + 0.5) / SIDE * 2 - 1  # to grid_sample's [-1, 1] with align_corners=False
    return F.grid_sample(images.unsqueeze(1), grid, align_corners=False, padding_mode="zeros").squeeze(1)


def reframe(images: torch.Tensor, box: float = 20.0, faint: float = 0.02) -> torch.Tensor:
    """(k, 28, 28) -> each digit framed again as MNIST frames one, and as the service frames an upload:
    its ink's box (pixels above `faint`) scaled to `box` px on the longer side, its centre of mass on
    pixel (14, 14). A stroke drawn onto a digit moves both, so a digit with a writing convention must
    be framed again to look as it would reach the model. One bilinear resampling for the batch."""
    k = images.shape[0]
    if k == 0:
        return images
    rows, cols = (images > faint).any(2), (images > faint).any(1)  # (k, 28) each
    height = SIDE - rows.float().argmax(1) - rows.flip(1).float().argmax(1)
    width = SIDE - cols.float().argmax(1) - cols.flip(1).float().argmax(1)
    scale = box / torch.maximum(height, width).clamp(min=1)
    mass = images.sum((1, 2)).clamp(min=1e-6)
    centre_y = (images.sum(2) * torch.arange(float(SIDE))).sum(1) / mass
    centre_x = (images.sum(1) * torch.arange(float(SIDE))).sum(1) / mass
    # Output pixel (x, y) reads input ((x - 14) / scale + centre_x, (y - 14) / scale + centre_y), in
    # affine_grid's coordinates (-1 and 1 at the outer pixel edges).
    inverse, zero = 1 / scale, torch.zeros(k)
    theta = torch.stack(
        [
            torch.stack([inverse, zero, (2 * centre_x + 1 - inverse) / SIDE - 1], dim=1),
            torch.stack([zero, inverse, (2 * centre_y + 1 - inverse) / SIDE - 1], dim=1),
        ],
        dim=1,
    )  # (k, 2, 3)
    grid = F.affine_grid(theta, [k, 1, SIDE, SIDE], align_corners=False)
    return F.grid_sample(images.unsqueeze(1), grid, align_corners=False).squeeze(1).clamp(0, 1)
