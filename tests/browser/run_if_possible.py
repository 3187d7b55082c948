"""Run the browser tests in their own pytest invocation.

They run when Chromium is installed; with REQUIRE_SERVICES=1 (CI) a missing
Chromium is a failure, not a skip.
"""

import os
import shutil
import subprocess
import sys

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def main() -> int:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            print(f"REQUIRE_SERVICES=1 but Chromium is not installed at {CHROMIUM}.", file=sys.stderr)
            return 1
        print(f"Browser tests skipped: Chromium not found at {CHROMIUM} (apt-get install chromium).")
        return 0
    return subprocess.call([sys.executable, "-m", "pytest", "tests/browser", "-p", "no:xdist"])


if __name__ == "__main__":
    sys.exit(main())
