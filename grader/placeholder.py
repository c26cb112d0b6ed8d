"""The line a release puts where each answer was, which also marks unfinished work.

Staging counts it to tell a released stub from a student's solution when a
folder holds both the stub files and a filled notebook.
"""

from __future__ import annotations

PLACEHOLDER = 'raise NotImplementedError("your code here")'
MARK = 'NotImplementedError("your code here")'


def unfinished(source: str) -> int:
    """How many released placeholders `source` still holds.

    >>> unfinished('def f():\\n    raise NotImplementedError("your code here")\\n')
    1
    """
    return source.count(MARK)
