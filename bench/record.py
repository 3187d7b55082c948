"""Run one benchmark and keep its result: ``python bench/record.py <name> [args...]``.

Runs ``bench/<name>.py`` with the given arguments (stderr passes through), takes the
JSON object it prints as its last line and appends one line to
``bench/results/<name>.jsonl``: ``{"at", "commit", "args", "load_before",
"load_after", "cpus", "result": {...}}``. The results files are the raw record;
docs/benchmarks.md shows the latest line of each. Exits with the benchmark's status.
"""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    name, args = sys.argv[1], sys.argv[2:]
    script = ROOT / "bench" / f"{name}.py"
    if not script.exists():
        print(f"no benchmark bench/{name}.py", file=sys.stderr)
        return 2
    started = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    run = subprocess.run([sys.executable, str(script), *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    print(run.stdout, end="")
    lines = [line for line in run.stdout.strip().splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        print(f"bench/{name}.py printed no JSON line last; nothing recorded", file=sys.stderr)
        return run.returncode or 1
    record = {
        "at": started.isoformat(timespec="seconds"),
        "commit": _commit(),
        "args": args,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "result": result,
    }
    results = ROOT / "bench" / "results" / f"{name}.jsonl"
    results.parent.mkdir(exist_ok=True)
    with results.open("a") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
