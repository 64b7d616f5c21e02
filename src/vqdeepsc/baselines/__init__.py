"""Classic image codecs behind one interface, fitted to a bit budget and sent over the link (the paper's baseline)."""

from .codecs import CODECS, FittedImage, ImageCodec, fit_to_budget, get_codec
from .transport import MID_GRAY, ReceivedFile, send_file, send_files, to_image

__all__ = ["CODECS", "FittedImage", "ImageCodec", "MID_GRAY", "ReceivedFile", "fit_to_budget", "get_codec",
           "send_file", "send_files", "to_image"]
