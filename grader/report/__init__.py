"""The report's formats, one module each, and `writers.write_all`, which writes them all.

Nothing is imported here: the terminal's escaping (`escape`) is needed long before
any writer, by commands that must start fast.
"""
