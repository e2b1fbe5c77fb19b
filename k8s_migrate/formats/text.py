"""Reading input bytes: encoding, BOM and line endings, so the writer can give them back unchanged."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError

BOM = "\ufeff"
UTF8_BOM = BOM.encode("utf-8")


@dataclass(frozen=True)
class SourceText:
    """An input's text as parsers see it, and how it was written (BOM, CRLF line endings) to write the output
    the same way."""

    original: str  # exactly as read (BOM and CRLF included)
    text: str  # what parsers see: no BOM, LF line endings
    bom: bool
    crlf: bool

    def restore(self, text: str) -> str:
        """Give edited text the input's BOM and line endings back."""
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return (BOM if self.bom else "") + text

    def dress(self, text: str) -> str:
        """Give text from elsewhere (a stock file) this input's BOM and line endings."""
        return self.restore(text.removeprefix(BOM).replace("\r\n", "\n"))


def decode(data: bytes, name: str) -> SourceText:
    if not data.removeprefix(UTF8_BOM).strip():
        raise UsageError("empty file", name)
    if b"\x00" in data:
        raise UsageError("binary data (NUL bytes), not a text configuration file", name)
    try:
        original = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(f"invalid UTF-8 at byte {exc.start}", name, line) from None
    text = original[1:] if original.startswith(BOM) else original
    crlf = "\r\n" in text
    return SourceText(original, text.replace("\r\n", "\n") if crlf else text, original.startswith(BOM), crlf)
