"""Drawing the report's pictures (`grader.visuals`) as PNG or JPEG bytes.

matplotlib's object API (Figure + the Agg canvas), never pyplot: no global
state, no display, the same picture on every machine. Imported only when a
report is drawn.
"""
