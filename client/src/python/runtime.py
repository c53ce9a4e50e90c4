# Gradual's side of the Python interpreter: runs a cell in one persistent namespace, shows rich
# output (display(), matplotlib figures, a table as the last expression), and formats errors
# with the cell's own lines only. Loaded by worker.ts as the module `gradual_runtime`.
import csv
import io
import json
import os
import re
import signal
import struct
import sys
import traceback

from _gradual_bridge import emit_html, emit_image, emit_table
from pyodide.code import eval_code_async
from pyodide.ffi import to_js

CELL = "cell.py"
MAX_TABLE_ROWS = 500
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
TABLE_TYPES = {".csv": ",", ".tsv": "\t"}
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
]


def _sniff(data):
    for signature, mime in SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _image_size(data, mime):
    try:
        if mime == "image/png":
            return struct.unpack(">II", data[16:24])
        if mime == "image/gif":
            return struct.unpack("<HH", data[6:10])
    except struct.error:
        pass
    return None, None


def _is_figure(value):
    return hasattr(value, "savefig") and hasattr(value, "canvas")


def _is_dataframe(value):
    return all(hasattr(value, a) for a in ("to_csv", "head", "columns", "shape"))


def _figure_png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", dpi=100)
    return buffer.getvalue()


def _show_table(text, delimiter=",", name=None, total=None):
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        rows = [[]]
    body = rows[1:]
    emit_table(
        json.dumps(
            {
                "columns": rows[0],
                "rows": body[:MAX_TABLE_ROWS],
                "totalRows": len(body) if total is None else total,
                "name": name,
            }
        )
    )


def _show_image(data, mime, name=None):
    width, height = _image_size(data, mime)
    emit_image(mime, to_js(data), width, height, name)


def _plain(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()[:2000]


def display(value, mime=None):
    """Show `value` below the cell.

    An image: PNG/JPEG/GIF/WebP bytes, or the path of such a file. A table: the path of a .csv
    or .tsv file, CSV text with mime="text/csv", or a pandas DataFrame. HTML: a string with
    mime="text/html", or an object with _repr_html_. A matplotlib figure as an image. Anything
    else is printed.
    """
    name = None
    if mime is None and isinstance(value, (str, os.PathLike)) and os.path.isfile(value):
        path = os.fspath(value)
        name = os.path.basename(path)
        extension = os.path.splitext(path)[1].lower()
        if extension in IMAGE_TYPES:
            with open(path, "rb") as f:
                return _show_image(f.read(), IMAGE_TYPES[extension], name)
        if extension in TABLE_TYPES:
            with open(path, newline="", encoding="utf-8", errors="replace") as f:
                return _show_table(f.read(), TABLE_TYPES[extension], name)
        if extension in (".html", ".htm"):
            with open(path, encoding="utf-8", errors="replace") as f:
                value, mime = f.read(), "text/html"
    if mime is None:
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            mime = _sniff(data)
            if mime is None:
                raise TypeError("display(): these bytes are not a PNG, JPEG, GIF or WebP image")
            return _show_image(data, mime)
        if _is_figure(value):
            return _show_image(_figure_png(value), "image/png")
        if _is_dataframe(value):
            return _show_table(value.head(MAX_TABLE_ROWS).to_csv(), total=len(value))
        if hasattr(value, "_repr_html_"):
            return emit_html(value._repr_html_(), repr(value)[:2000])
        return print(value)
    if mime.startswith("image/"):
        return _show_image(bytes(value), mime)
    if mime in ("text/csv", "text/tab-separated-values"):
        return _show_table(str(value), "\t" if "tab" in mime else ",")
    if mime == "text/html":
        return emit_html(str(value), _plain(str(value)))
    if mime == "text/plain":
        return print(value)
    raise ValueError(f"display(): cannot show {mime!r}")


def flush_figures():
    """Shows every open matplotlib figure, then closes them (as a notebook does after a cell)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for number in pyplot.get_fignums():
        display(pyplot.figure(number))
    pyplot.close("all")


def _show_result(value):
    # A cell ending in an expression shows it, as a notebook does: rich when it can be.
    rich = _is_figure(value) or _is_dataframe(value) or hasattr(value, "_repr_html_")
    if rich or (isinstance(value, (bytes, bytearray)) and _sniff(bytes(value))):
        display(value)
    else:
        print(repr(value))


namespace = {"__name__": "__main__", "display": display}


def _error_text(error):
    # Only the frames of the cell itself (and what it called), not the interpreter's own.
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CELL:
        tb = tb.tb_next
    if tb is None:
        return "".join(traceback.format_exception_only(error))
    return "".join(traceback.format_exception(type(error), error, tb))


async def run(code):
    """Runs a cell; returns None, or (error text, whether it was a KeyboardInterrupt)."""
    # The page repeats SIGINT until the cell ends; once it is ending, more must not cut the
    # report short. Each cell starts interruptible again.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = await eval_code_async(code, globals=namespace, filename=CELL)
        flush_figures()
        if result is not None:
            _show_result(result)
        return None
    except BaseException as error:  # noqa: BLE001 - a cell's SystemExit is its outcome too
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            flush_figures()
        except Exception:  # noqa: BLE001
            pass
        return [_error_text(error), isinstance(error, KeyboardInterrupt)]
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
