"""`make eval`: every quality evaluation in one run; exits non-zero if any fell below its floor.

Each evaluation is a module with its own floors in evaluation/baseline.json (with a hash of its
data); this runner only calls them in turn, each in its own process so one crash does not hide
the others, and prints a summary line per evaluation.
"""

from __future__ import annotations

import subprocess
import sys
import time

EVALUATIONS = ("extraction", "nlp", "cv", "tone", "nlp_domains", "nlp_stories", "nlp_entities",
               "alerts", "ask", "forecast")


def main() -> int:
    results = []
    for name in EVALUATIONS:
        print(f"\n=== evaluation.{name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"evaluation.{name}"])
        results.append((name, code, time.perf_counter() - start))
    print("\n=== summary ===")
    for name, code, seconds in results:
        print(f"{name:14} {'PASS' if code == 0 else f'FAIL (exit {code})':16} {seconds:6.1f} s")
    return 1 if any(code for _, code, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
