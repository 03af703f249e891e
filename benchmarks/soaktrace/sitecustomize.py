"""For ``benchmarks/soak.py --tracemalloc``: in the proxy it starts, where Python's memory grows.

Python imports ``sitecustomize`` at start-up from the path; the soak puts this folder first
on ``PYTHONPATH`` and names an output file in ``HG_SOAK_TRACE``. In the ``run`` process only,
tracemalloc starts (four frames a trace), a baseline is taken after the warm-up and, every
five minutes and at exit, the allocation sites that grew most since then are written to the
file (the latest only). The proxy runs about twice as slowly meanwhile; its RSS is not comparable.
"""

import os
import sys

_OUTPUT = os.environ.get("HG_SOAK_TRACE")
if _OUTPUT and "run" in sys.argv[1:2]:
    import atexit
    import threading
    import time
    import tracemalloc

    _WARM_UP, _EVERY, _TOP = 120.0, 300.0, 15

    def _report(baseline: tracemalloc.Snapshot, started: float, output: str) -> None:
        now = tracemalloc.take_snapshot()
        traced = tracemalloc.get_traced_memory()[0]
        lines = [f"minute {(time.monotonic() - started) / 60:.1f}: {traced / 2**20:.1f} MiB traced"]
        for stat in now.compare_to(baseline, "traceback")[:_TOP]:
            lines.append(f"{stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+8d} blocks")
            lines.extend("    " + line for line in stat.traceback.format()[-8:])
        tmp = f"{output}.tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(tmp, output)

    def _watch(output: str) -> None:
        started = time.monotonic()
        time.sleep(_WARM_UP)
        baseline = tracemalloc.take_snapshot()
        atexit.register(_report, baseline, started, output)
        while True:
            time.sleep(_EVERY)
            _report(baseline, started, output)

    tracemalloc.start(4)
    threading.Thread(target=_watch, args=(_OUTPUT,), name="soak-tracemalloc", daemon=True).start()
