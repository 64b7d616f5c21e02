"""Classic image codecs behind one interface, fitted to a bit budget (the paper's JPEG + LDPC baseline)."""

from .codecs import CODECS, FittedImage, ImageCodec, fit_to_budget, get_codec

__all__ = ["CODECS", "FittedImage", "ImageCodec", "fit_to_budget", "get_codec"]
