"""The writing-convention augmentation: each convention where it belongs, on its share, off the test set's ranges."""

import pytest
import torch

from training import conventions as test_set
from training.writing import CONVENTIONS, RADIUS, SHARES, add_conventions, choices, close_four, outside

K = 64  # images of one synthetic digit, each drawn with its own parameters


def lines(*segments: tuple[int, int, int, int]) -> torch.Tensor:
    """K copies of a uint8 digit made of 2 px wide horizontal or vertical segments (x0, y0, x1, y1)."""
    image = torch.zeros(28, 28, dtype=torch.uint8)
    for x0, y0, x1, y1 in segments:
        image[y0 : y1 + 2, x0 : x1 + 2] = 255
    return image.expand(K, 28, 28).clone()


def draw(name: str, images: torch.Tensor, framed: bool = False) -> torch.Tensor:
    """The convention drawn on every image (share forced to 1), the rest of the generator's draws as in
    training; unless framed, not framed again, so that the strokes stay where they were drawn."""
    digit = CONVENTIONS[name][0]
    shares = {key: (1.0 if key == name else 0.0) for key in SHARES}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("training.writing.SHARES", shares)
        return add_conventions(images, torch.full((K,), digit), torch.Generator().manual_seed(0), framed=framed)


def added(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """Where ink was added: bool (K, 28, 28)."""
    return (after.int() - before.int()) > 127


def test_a_slash_crosses_the_zero_from_lower_left_to_upper_right():
    zero = lines((8, 4, 8, 22), (18, 4, 18, 22), (8, 4, 18, 4), (8, 22, 18, 22))  # a box 0, empty inside
    new = added(zero, draw("slashed-0", zero))
    assert torch.all(new[:, 12:16, 11:17].flatten(1).any(1))  # through the empty middle
    upper_right, lower_left = new[:, 5:12, 14:18].flatten(1).any(1), new[:, 16:22, 9:13].flatten(1).any(1)
    assert torch.all(upper_right & lower_left)


def test_a_foot_lies_under_the_one_across_its_stem():
    one = lines((13, 4, 13, 23))
    new = added(one, draw("serif-1", one))
    assert torch.all(new[:, 22:26, 6:12].flatten(1).any(1)) and torch.all(new[:, 22:26, 16:22].flatten(1).any(1))
    assert not new[:, :18].any()  # nothing above the foot


def test_closing_a_four_joins_the_arm_to_the_stem_at_the_top():
    four = lines((8, 4, 8, 15), (17, 4, 17, 23), (8, 15, 21, 15))
    new = added(four, draw("closed-4", four))
    assert torch.all(new[:, 3:12, 10:17].flatten(1).any(1))  # the gap between arm and stem is bridged
    assert not new[:, 15:].any()  # below the crossbar nothing changes


def test_a_four_closed_above_its_stem_has_the_stem_carried_up_to_the_stroke():
    four = lines((8, 8, 8, 15), (17, 8, 17, 23), (8, 15, 21, 15)).float() / 255  # stem and arm start on row 8
    params = {"drop": torch.full((K,), -0.15), "radius": torch.full((K,), 0.8)}
    closed = close_four(four, torch.full((K,), 16.0), params)
    new = (closed - four) > 0.5
    assert torch.all(new[:, 5:8, 17:19].flatten(1).any(1))  # the stem goes on up, 0.15 x 16 px above row 8
    assert torch.all(new[:, 5:8, 9:16].flatten(1).any(1))  # and the stroke from the arm meets it there


def test_opening_a_four_moves_its_arm_left_and_keeps_the_stem():
    four = lines((8, 4, 8, 15), (17, 4, 17, 23), (8, 15, 21, 15))
    opened = draw("open-4", four)
    assert torch.equal(opened[:, :, 16:], four[:, :, 16:]) and torch.equal(opened[:, 17:], four[:, 17:])
    top_arm_column = (opened[:, 5, :16].float() * torch.arange(16.0)).sum(1) / opened[:, 5, :16].float().sum(1)
    assert torch.all(top_arm_column < 7.5)  # the closed four's arm sits at column 8


def test_a_seven_is_crossed_through_its_stem_below_the_top():
    seven = lines((6, 4, 20, 4), (14, 4, 14, 23))
    new = added(seven, draw("crossed-7", seven))
    left, right = new[:, 9:21, 7:13].flatten(1).any(1), new[:, 9:21, 17:22].flatten(1).any(1)
    assert torch.all(left & right) and not new[:, :8].any()


@pytest.mark.parametrize("name", ["straight-tail-9", "curled-tail-9"])
def test_a_tail_grows_from_the_bottom_of_the_nine(name):
    nine = lines((8, 4, 8, 11), (16, 4, 16, 19), (8, 4, 16, 4), (8, 11, 16, 11))
    new = added(nine, draw(name, nine))  # the tail ends on row 20
    assert torch.all(new[:, 21:].flatten(1).any(1))  # and grows down from there
    if name == "straight-tail-9":
        assert not new[:, :19].any()
    else:  # the hook turns down, back left of the tail, and up, never as high as the loop
        assert torch.all(new[:, 14:, :15].flatten(1).any(1)) and not new[:, :12].any()


@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_a_digit_with_a_convention_is_framed_as_the_service_frames_it(name):
    four = lines((8, 4, 8, 15), (17, 4, 17, 23), (8, 15, 21, 15))
    framed = draw(name, four, framed=True).float() / 255
    rows, cols = (framed > 0.02).any(2), (framed > 0.02).any(1)
    assert torch.all(torch.maximum(rows.sum(1), cols.sum(1)) - 20 <= 1)  # the longer side 20 px (21: resampling)
    mass = framed.sum((1, 2))
    centre_y = (framed.sum(2) * torch.arange(28.0)).sum(1) / mass
    centre_x = (framed.sum(1) * torch.arange(28.0)).sum(1) / mass
    assert torch.all((centre_y - 14).abs() < 0.5) and torch.all((centre_x - 14).abs() < 0.5)


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_each_convention_lands_on_its_share_of_its_class_only(scale):
    labels = torch.arange(100_000) % 10
    chosen = choices(labels, torch.Generator().manual_seed(1), scale)
    for name, (digit, _, _) in CONVENTIONS.items():
        assert not chosen[name][labels != digit].any()
        assert chosen[name][labels == digit].float().mean().item() == pytest.approx(scale * SHARES[name], abs=0.01)
    assert torch.stack(list(chosen.values())).sum(0).max() == 1  # never two conventions on one image


def test_the_draws_do_not_depend_on_the_labels():
    images = torch.randint(0, 256, (32, 28, 28), dtype=torch.uint8)
    after = []
    for labels in (torch.zeros(32, dtype=torch.int64), torch.full((32,), 9)):
        generator = torch.Generator().manual_seed(5)
        add_conventions(images, labels, generator)
        after.append(torch.rand(4, generator=generator))
    assert torch.equal(after[0], after[1])


def test_the_draws_keep_out_of_the_test_sets_range():
    values = outside(10_000, 0.3, 0.75, (0.45, 0.6), torch.Generator().manual_seed(0))
    assert values.min() >= 0.3 and values.max() <= 0.75
    assert not ((values > 0.45) & (values < 0.6)).any() and (values > 0.6).any() and (values < 0.45).any()
    # The test set's soft strokes fall to half strength 1.48 sigma from their centre line: inside the
    # augmentation's gap of half-widths, which it draws on either side.
    low, high, gap = RADIUS
    assert gap[0] < test_set.SIGMA[0] * 1.48 and test_set.SIGMA[1] * 1.48 < gap[1] and low < gap[0] < gap[1] < high
