"""QR codes as small inline SVG (no images, no scripts), for phones to scan set-up links."""

from __future__ import annotations

import qrcode
from flask_babel import gettext
from markupsafe import Markup, escape

__all__ = ["qr_svg"]


def qr_svg(text: str, *, label: str | None = None) -> Markup:
    """An accessible SVG QR code for ``text`` (a URL), drawn as one path of dark modules."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    title = escape(label or text)
    spoken = escape(gettext("QR code: %(text)s", text=label or text))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{spoken}" shape-rendering="crispEdges">'
        f'<title>{title}</title><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path class="on" d="{path}" fill="#000"/></svg>'
    )
