"""The one table `scripts/bench` prints: each benchmark adds its rows, the last one writes them out.

A row is a figure with our value, the YAML's where it applies, and the goal. Rows are kept in the
order of `SECTIONS`, whatever order pytest runs the benchmarks in. With `JOULO_BENCH_JSON` set (as
`scripts/bench` does), the rows are written there as JSON at the end of the run; `render` turns that
file into the Markdown table that docs/benchmarks.md shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
import json
import os
from pathlib import Path
import sys

SECTIONS = ("Requests", "Freshness", "Setup", "Scale", "Soak")
"""The table's sections, in the issue's order."""
OUTPUT_VARIABLE = "JOULO_BENCH_JSON"


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
    """Print the table of the JSON file named on the command line."""
    rows = [Row(**row) for row in json.loads(Path(sys.argv[1]).read_text())]
    print(render(rows))


if __name__ == "__main__":
    main()
