"""The bench's plain-text tables: one number format and one table layout,
shared by every section's printer (its own module, so the sections need not
import bench.report, which imports them)."""
from __future__ import annotations


def num(value, digits=1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(cols, rows, right_from: int) -> None:
    """Print ``rows`` under ``cols``, columns from ``right_from`` on right-aligned."""
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) if rows else len(c)
              for i, c in enumerate(cols)]

    def line(values):
        cells = [str(v).rjust(w) if i >= right_from else str(v).ljust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(cells).rstrip()

    print(line(cols))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
