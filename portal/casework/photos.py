"""Customers' photos: decoded to prove they are images, re-encoded without metadata, stored under random names.

Nothing the customer sends is kept as sent: not the name (a `../` or a script), not the bytes (EXIF with
their home's GPS position, a polyglot file), not the declared type. Files live in UPLOAD_DIR, outside
static/, and are only served through an access-checked route.
"""

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.i18n import lazy_gettext as _l

MAX_PHOTOS = 5
# Pixels we agree to decode: a 50-megapixel phone photo fits; a tiny file that claims more is a bomb.
MAX_PIXELS = 50_000_000
MAX_SIDE = 4096  # stored photos are scaled down to this; agents need to see a scratch, not print a poster
FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


class PhotoRefused(ValueError):
    """A file we will not keep; `message` says why in words the customer reads."""

    def __init__(self, message, too_large=False):
        super().__init__(str(message))
        self.message = message
        self.too_large = too_large


@dataclass(frozen=True)
class StoredPhoto:
    name: str
    content_type: str
    size_bytes: int

    def as_dict(self):
        return {"name": self.name, "content_type": self.content_type, "size_bytes": self.size_bytes}


def max_bytes():
    return current_app.config["RETURN_PHOTO_MAX_MB"] * 1024 * 1024


def upload_dir():
    return Path(current_app.config["UPLOAD_DIR"])


def _decode(data):
    """The decoded image and its format, or PhotoRefused."""
    not_an_image = _l("This file is not a JPEG, PNG or WebP photo.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise PhotoRefused(not_an_image)
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoRefused(_l("This photo has too many pixels. Please send a smaller one."))
                image_format = probe.format
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRefused(_l("This photo has too many pixels. Please send a smaller one.")) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise PhotoRefused(not_an_image) from None
    return image, image_format


def _clean_copy(image, image_format):
    """The pixels alone, upright, in a mode the format can hold: no EXIF, no comments, no profiles."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha and image_format != "JPEG" else "RGB"
    image = image.convert(mode)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return Image.frombytes(mode, image.size, image.tobytes())


def store(upload):
    """Check, clean and store one uploaded file (a werkzeug FileStorage); StoredPhoto, or PhotoRefused."""
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PhotoRefused(_l("Each photo may be at most %(mb)s MB.", mb=limit // (1024 * 1024)), too_large=True)
    if not data:
        raise PhotoRefused(_l("This file is empty."))
    image, image_format = _decode(data)
    clean = _clean_copy(image, image_format)
    content_type, extension = FORMATS[image_format]
    out = io.BytesIO()
    options = {} if image_format == "PNG" else {"quality": 85}
    clean.save(out, format=image_format, **options)
    name = secrets.token_hex(16) + extension
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / name, "xb") as target:
        target.write(out.getvalue())
    return StoredPhoto(name, content_type, len(out.getvalue()))


def store_all(uploads, already=0):
    """Store every chosen file or none: PhotoRefused names the first refused one (or too many in all).

    The return wizard and the complaint form take photos the same way; `already` counts those kept before.
    """
    uploads = [upload for upload in uploads if upload and upload.filename]
    if already + len(uploads) > MAX_PHOTOS:
        raise PhotoRefused(_l("You can add at most %(count)s photos.", count=MAX_PHOTOS))
    stored = []
    try:
        for upload in uploads:
            stored.append(store(upload))
    except PhotoRefused:
        discard(photo.name for photo in stored)
        raise
    return stored


def max_request_bytes():
    """The request limit for a form with photos: the most photos at the per-photo limit, plus the form."""
    return MAX_PHOTOS * max_bytes() + 1024 * 1024


def path_for(name):
    """The file for a stored name, or None: only names we made, so no path ever leaves UPLOAD_DIR."""
    if not STORED_NAME.match(name or ""):
        return None
    path = upload_dir() / name
    return path if path.is_file() else None


def discard(names):
    """Delete stored files that will not be kept (a photo removed from a draft, a draft abandoned)."""
    for name in names:
        path = path_for(name)
        if path is not None:
            path.unlink(missing_ok=True)
