"""Static reading of a submission, in the parent, without running it.

- `program`: the submission's modules, parsed lazily, and the names each binds at its top level;
- `liveness`: which statements can run (constant conditions, `__main__` blocks, code after `return`);
- `names`: what a name or an attribute chain means where it is used;
- `reach`: the code a part can reach from its module and its entry points.

What a part's rules look for in that code lives with the part (`grader.source_scan` for Part 3).
"""
