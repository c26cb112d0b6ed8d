"""`junit.xml`: one test case per check, for CI systems that read JUnit."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from grader.results import Report, Status

FILENAME = "junit.xml"


def render(report: Report) -> str:
    failures = sum(t.status in (Status.FAILED, Status.PARTIAL) for t in report.tests)
    errors = sum(t.status in (Status.ERROR, Status.TIMEOUT) for t in report.tests)
    suite = ElementTree.Element(
        "testsuite",
        name=f"cnn-grader {report.submission}",
        tests=str(len(report.tests)),
        failures=str(failures),
        errors=str(errors),
        time=f"{report.duration_s:.2f}",
    )
    for t in report.tests:
        case = ElementTree.SubElement(suite, "testcase", classname=t.part, name=t.name)
        summary = f"{t.score:g} / {t.max_score:g}: {t.status.value}"
        if t.status in (Status.FAILED, Status.PARTIAL):
            ElementTree.SubElement(case, "failure", message=summary).text = t.output
        elif t.status in (Status.ERROR, Status.TIMEOUT):
            ElementTree.SubElement(case, "error", message=summary).text = t.output
        else:
            ElementTree.SubElement(case, "system-out").text = t.output
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write(report: Report, out_dir: Path) -> Path:
    path = out_dir / FILENAME
    path.write_text(render(report), encoding="utf-8")
    return path
