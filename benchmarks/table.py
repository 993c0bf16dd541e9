"""The one table `scripts/bench` prints: each benchmark adds its rows, the last one writes them out.

A row is a figure with our value, the YAML's where it applies, and the goal. Rows are kept in the
order of `SECTIONS`, whatever order pytest runs the benchmarks in. With `JOULO_BENCH_JSON` set (as
`scripts/bench` does), the rows are written there as JSON at the end of the run; `render` turns that
file into the Markdown table that docs/benchmarks.md shows.

Some figures come from runs the test suite makes anyway (`SUITE_RUNS`: the side-by-side days and the
soak). Those tests `record` their rows under `.bench/runs/<Home Assistant version>/`, stamped with
a hash of the sources; `scripts/bench` runs only the ones without a record of the same stamp
(`python -m benchmarks.table stale`), and the table takes their rows first, in `SUITE_RUNS` order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
import hashlib
import json
import os
from pathlib import Path
import sys

from homeassistant.const import __version__ as ha_version

SECTIONS = ("Requests", "Freshness", "Setup", "Scale", "Soak", "Costs")
"""The table's sections, in the issue's order."""
OUTPUT_VARIABLE = "JOULO_BENCH_JSON"
ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / ".bench" / "runs"
"""Where the suite's tests record their rows (git ignores `.bench/`)."""
SUITE_RUNS = {
    "default account day": "tests/integration/test_daily_requests.py::test_default_account_day",
    "cloud-only account day": (
        "tests/integration/test_daily_requests.py::test_cloud_only_account_day"
    ),
    "soak": "tests/integration/test_soak.py::test_seven_days_of_faults",
}
"""The suite's tests that record rows for the table, by run name, in the table's order."""
SOURCES = ("custom_components", "joulo_simulator", "tests", "benchmarks")


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    section: str
    figure: str
    ours: str
    yaml: str = ""
    goal: str = ""
    met: bool | None = None
    """Whether `ours` meets `goal`: None where the row has no goal."""


class BenchTable:
    """The rows gathered in one run."""

    def __init__(self) -> None:
        """Start with no rows."""
        self.rows: list[Row] = []

    def add(
        self,
        section: str,
        figure: str,
        ours: object,
        *,
        yaml: object = "",
        goal: str = "",
        met: bool | None = None,
    ) -> None:
        """Add a row; values are shown as given (format numbers before, e.g. `f"{n:,}"`)."""
        if section not in SECTIONS:
            msg = f"unknown section {section!r}"
            raise ValueError(msg)
        self.rows.append(Row(section, figure, str(ours), str(yaml), goal, met))

    def write(self) -> None:
        """Write the rows to `$JOULO_BENCH_JSON`, if it is set."""
        target = os.environ.get(OUTPUT_VARIABLE)
        if target:
            Path(target).write_text(json.dumps([asdict(row) for row in self.rows], indent=1))

    def record(self, run: str) -> None:
        """Keep the rows of one of `SUITE_RUNS` for `scripts/bench`, stamped with what made them."""
        assert run in SUITE_RUNS, run
        RUNS.joinpath(ha_version).mkdir(parents=True, exist_ok=True)
        record = {"stamp": stamp(), "rows": [asdict(row) for row in self.rows]}
        RUNS.joinpath(ha_version, f"{run}.json").write_text(json.dumps(record, indent=1))


def stamp() -> str:
    """The Home Assistant version and a hash of every Python source: a record is fresh while equal."""
    digest = hashlib.sha256(ha_version.encode())
    for path in sorted(path for folder in SOURCES for path in (ROOT / folder).rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def recorded(run: str, now: str) -> list[Row] | None:
    """The rows a suite run recorded with the stamp `now`; None when it has no such record."""
    try:
        record = json.loads(RUNS.joinpath(ha_version, f"{run}.json").read_text())
    except FileNotFoundError:
        return None
    if record["stamp"] != now:
        return None
    return [Row(**row) for row in record["rows"]]


def render(rows: list[Row]) -> str:
    """The rows as one Markdown table, by section, in the order they were added within each."""
    ordered = sorted(rows, key=lambda row: SECTIONS.index(row.section))
    lines = ["| | figure | ours | YAML | goal | met |", "|---|---|---|---|---|---|"]
    section = ""
    for row in ordered:
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        label = row.section if row.section != section else ""
        section = row.section
        lines.append(f"| {label} | {row.figure} | {row.ours} | {row.yaml} | {row.goal} | {met} |")
    return "\n".join(lines)


def main() -> None:
    """`stale`: print the suite's tests to run again; a JSON file: print the table with the records.

    The table takes the fresh records of `SUITE_RUNS` first, then the rows of the file.
    """
    now = stamp()
    if sys.argv[1] == "stale":
        for run, test in SUITE_RUNS.items():
            if recorded(run, now) is None:
                print(test)
        return
    suite = {run: recorded(run, now) for run in SUITE_RUNS}
    rows = [row for run_rows in suite.values() for row in run_rows or ()]
    rows += [Row(**row) for row in json.loads(Path(sys.argv[1]).read_text())]
    print(render(rows))
    missing = [run for run, run_rows in suite.items() if run_rows is None]
    if missing:
        sys.exit(f"no rows recorded by the suite's runs: {', '.join(missing)}")


if __name__ == "__main__":
    main()
