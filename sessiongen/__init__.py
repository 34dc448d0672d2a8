"""sessiongen: turn technique scripts into offline voice-guided audio sessions."""

from sessiongen.errors import SessiongenError

__version__ = "0.1.0"
__all__ = ["SessiongenError", "__version__"]
