"""The real digits' error gallery: every image some model gets wrong, the 28x28 the models saw,
and each model's answer, as one HTML page with its images.

    python scripts/real_digits.py --gallery artifacts/real-digits-gallery   # then open index.html

The folder is written on demand and git ignores artifacts/: the originals stay in ../shared, and
REPORT.md carries the counts (real_digits.py --counts), not the images.
"""

import html
import shutil
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

ZOOM = 6  # the 28x28 input is shown 168 px wide, pixels kept sharp


class Labelled(Protocol):
    name: str
    path: Path
    label: int
    source: str


def write_gallery(
    directory: Path, samples: list[Labelled], predictions: dict[str, list[int | None]], pixels: np.ndarray
) -> int:
    """Write directory/index.html and directory/images/; returns how many images it shows."""
    images = directory / "images"
    images.mkdir(parents=True, exist_ok=True)
    missed = [i for i, s in enumerate(samples) if any(p[i] != s.label for p in predictions.values())]
    rows = []
    for i in missed:
        sample = samples[i]
        original = f"images/{i:03d}-original{sample.path.suffix}"
        shutil.copyfile(sample.path, directory / original)
        seen = Image.fromarray(np.rint(pixels[i] * 255).astype(np.uint8), "L")
        seen.resize((28 * ZOOM, 28 * ZOOM), Image.Resampling.NEAREST).save(directory / f"images/{i:03d}-input.png")
        answers = "".join(answer_cell(predictions[name][i], sample.label) for name in predictions)
        rows.append(
            f"<tr><td>{html.escape(sample.name)}<br>source {html.escape(sample.source)}, label {sample.label}</td>"
            f'<td><img src="{original}" height="{28 * ZOOM}"></td><td><img src="images/{i:03d}-input.png"></td>'
            f"{answers}</tr>"
        )
    header = "".join(f"<th>{html.escape(name)}</th>" for name in predictions)
    page = PAGE.format(count=len(missed), total=len(samples), header=header, rows="\n".join(rows))
    (directory / "index.html").write_text(page, encoding="utf-8")
    return len(missed)


def answer_cell(predicted: int | None, label: int) -> str:
    text = "refused" if predicted is None else str(predicted)
    return f'<td class="{"right" if predicted == label else "wrong"}">{text}</td>'


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Real digits: the misses</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: center; }}
td.wrong {{ background: #fdd; font-weight: bold; }} td.right {{ color: #888; }}
img {{ image-rendering: pixelated; background: #000; }}
</style></head><body>
<h1>Real digits: {count} of {total} images missed by at least one model</h1>
<p>Each row: the upload as stored, the 28x28 input the models saw, and each model's answer (wrong ones in red).</p>
<table><tr><th>image</th><th>original</th><th>what the models saw</th>{header}</tr>
{rows}
</table></body></html>
"""
