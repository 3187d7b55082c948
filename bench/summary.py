"""The latest recorded run of each benchmark as a Markdown table (for docs/benchmarks.md).

``python bench/summary.py`` reads ``bench/results/*.jsonl`` (written by bench/record.py)
and prints one row per benchmark: its newest full-size run (``--quick`` runs only when
there is no full one), with value, baseline, ratio, target, pass, when, commit and load.
"""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    return "—" if value is None else str(value)


def latest(lines: list[dict]) -> dict:
    full = [line for line in lines if "--quick" not in line.get("args", [])]
    return (full or lines)[-1]


def main() -> None:
    print("| benchmark | metric | value | baseline | ratio | target | pass | run (UTC, commit, load) |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted(RESULTS.glob("*.jsonl")):
        lines = [json.loads(text) for text in path.read_text().splitlines() if text.strip()]
        if not lines:
            continue
        record = latest(lines)
        result = record["result"]
        args = " ".join(record.get("args", []))
        name = f"`{path.stem}{(' ' + args) if args else ''}`"
        print(
            f"| {name} | {result.get('metric', '')} | {_fmt(result.get('value'))} | "
            f"{_fmt(result.get('baseline'))} | {_fmt(result.get('ratio'))} | {_fmt(result.get('target'))} | "
            f"{'**yes**' if result.get('pass') else '**no**'} | {record['at'][:16]}, {record['commit']}, "
            f"load {record['load_before']:.1f}→{record['load_after']:.1f} |"
        )


if __name__ == "__main__":
    main()
