"""Pictures as bytes, and bytes as the `data:` URIs a self-contained page inlines."""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

DPI = 100


def new_figure(width_in: float, height_in: float) -> Figure:
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_of(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def jpeg_of(image: np.ndarray, quality: int = 88) -> bytes:
    """A uint8 RGB (H, W, 3) or grey (H, W) array as JPEG: photos stay small in the page."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    """`data:image/png;base64,...`: the picture travels inside the page."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
