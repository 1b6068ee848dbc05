"""UK CAID-style JSON: VICS-model JSON under the UK profile, with the UK A/B/C grades.

CAID shares the VICS protocols with Project VIC: a CAID export is VICS OData JSON whose context
names the UK profile (``…/DataModels/2.0.xml/UK/$metadata#Cases`` or ``#Media``), and older
CAID/C4ALL conversions used VICS 1.1. This format reads those files with the VICS reader and
differs in two ways: the list's scheme is ``uk`` unless the file declares another profile, and a
category written as a grade (``A``, ``b``, ``Category C``) is stored as ``A``/``B``/``C``.

A numeric ``Category`` is kept as the number the file gives: which CAID code stands for which
grade is not documented in any source available to us, so no mapping is guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from veilleur.lists.base import ListRecord, ReadOptions
from veilleur.lists.formats.vics import VicsFormat, _VicsReader, declares_uk, looks_vics


class CaidFormat(VicsFormat):
    name = "caid"
    description = "UK CAID-style JSON (VICS model, UK profile, A/B/C grades)"
    uk_grades = True

    def sniff(self, head: bytes, filename: str) -> bool:
        return looks_vics(head) and declares_uk(head)

    def read(self, stream: IO[bytes], *, name: str, options: ReadOptions) -> Iterator[ListRecord]:
        return _VicsReader(stream, name, uk_grades=True).records()
