"""Progress lines with an ETA, on stderr."""
import sys
import time


class Progress:
    """Progress lines with an ETA on stderr, at most one per ``interval`` s."""

    def __init__(self, stream=sys.stderr, interval=5.0):
        self.stream, self.interval, self.last = stream, interval, 0.0

    def __call__(self, phase, done, total, started, note="", force=False):
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        elapsed = now - started
        eta = elapsed / done * (total - done) if done > 0 else float("nan")
        print(f"[{phase}] {done:.1f}/{total} elapsed {clock(elapsed)} ETA {clock(eta)} {note}",
              file=self.stream, flush=True)


def clock(seconds):
    if seconds != seconds:  # nan: no estimate yet
        return "--:--"
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"
