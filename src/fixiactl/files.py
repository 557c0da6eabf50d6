"""Writing files that hold secrets.

`Path.write_text` followed by `chmod` leaves a window in which the file exists with the
umask's mode (often world-readable) and already holds the secret; on an existing file it also
keeps whatever mode that file had until the chmod. Here the file is a fresh one created by
`os.open` with the final mode (O_EXCL: never an existing file), written, and renamed over the
target: readers see the old file or the whole new one, never a readable half (issue #27).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PRIVATE = 0o600


def write_private(path: Path, text: str, mode: int = PRIVATE) -> Path:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        # The umask can only have narrowed `mode`; set it exactly while the file is empty.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
