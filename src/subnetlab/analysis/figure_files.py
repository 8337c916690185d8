"""A figure as a PNG file: the provenance footer under its content, and one rendering shared by
the file and TensorBoard (so both show the same pixels, footer included)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread

#: the gid of the footer text, to find it again (tests, a second call)
FOOTER_GID = "subnetlab-footer"
FOOTER_FONT_SIZE = 6.5
#: resolution of saved figures: a 6-inch-wide figure is 660 pixels wide
DPI = 110


def drawn_renderer(figure: Figure):  # -> RendererAgg
    """The Agg renderer of ``figure`` after drawing it once; its layout is then frozen (the
    layout engine switched off), so that the positions the footer was placed against stay."""
    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # Figure() outside pyplot has a bare canvas
        canvas = FigureCanvasAgg(figure)
    canvas.draw()  # runs the figure's layout engine, so positions are final
    figure.set_layout_engine("none")
    return canvas.get_renderer()


def add_footer(figure: Figure, text: str) -> None:
    """Write ``text`` (e.g. the run folder, method, seed and steps) small and grey under
    everything ``figure`` holds (tick labels, axis labels, legends), left-aligned with it.

    The footer may lie below the figure's own area; :func:`render_png` crops to the content, so it
    is in the image. A second call replaces the first footer.
    """
    for old in [t for t in figure.texts if t.get_gid() == FOOTER_GID]:
        old.remove()
    bbox = figure.get_tightbbox(drawn_renderer(figure))  # inches
    width, height = figure.get_size_inches()
    gap = 0.06  # inches between the content and the footer
    figure.text(
        bbox.x0 / width,
        (bbox.y0 - gap) / height,
        text,
        fontsize=FOOTER_FONT_SIZE,
        color="0.4",
        ha="left",
        va="top",
        gid=FOOTER_GID,
    )


def footer_text(figure: Figure) -> str | None:
    """The footer :func:`add_footer` wrote, or None."""
    for text in figure.texts:
        if text.get_gid() == FOOTER_GID:
            return text.get_text()
    return None


def render_png(figure: Figure) -> bytes:
    """The figure as PNG bytes at ``DPI``, cropped to its content (footer included) on white."""
    drawn_renderer(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def png_pixels(png: bytes) -> np.ndarray:
    """(H, W, 3) float RGB in [0, 1] of PNG bytes (what TensorBoard's ``add_image`` takes)."""
    return imread(io.BytesIO(png), format="png")[..., :3]
