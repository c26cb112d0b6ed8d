"""Running untrusted student code: a child process per part, limits, plain-data results.

The parent's side is `grader.sandbox.runner` (and `feed`, `cgroup`, `isolation`);
the zygote and its children load only `zygote`, `child`, `processes`, `limits`,
`protocol` and the child's half of `feed`, never the parent's modules
(tests/test_import_graph.py). Nothing is imported here for that reason.
"""
