"""Point at the student's own cells, not at the module the grader built from them.

A notebook's part runs from a module the grader writes (`notebook_cnn.py`),
so a traceback says `notebook_cnn.py line 57`, a file the student never saw.
With the line origins kept at staging (`StagedSubmission.origins`) the
parent rewrites such places as `cell 4, line 7` in the checks' text.
"""

from __future__ import annotations

import re
from typing import Mapping

# `notebook_cnn.py line 57` (our traceback frames), `notebook_cnn.py, line 57` (SyntaxError),
# `File ".../notebook_cnn.py", line 57` (a Python traceback printed by the submission).
PLACE = re.compile(r'(?:File ")?(?:[^\s"]*/)?(?P<module>[\w.-]+\.py)"?,? line (?P<line>\d+)')


def in_notebook(text: str, origins: Mapping[str, tuple[str, ...]]) -> str:
    """`text` with every place in a built module replaced by its notebook cell and line.

    >>> in_notebook("  at notebook_cnn.py line 3 in forward", {"notebook_cnn.py": ("", "", "cell 4, line 7")})
    '  at cell 4, line 7 in forward'
    """
    if not origins or ".py" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        lines = origins.get(match.group("module"))
        number = int(match.group("line"))
        if lines is None or not 0 < number <= len(lines) or not lines[number - 1]:
            return match.group(0)
        return lines[number - 1]

    return PLACE.sub(replace, text)
