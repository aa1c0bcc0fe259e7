"""notesgraph: turn a folder of research notes into one living graph."""

import os
import sys

__version__ = "0.1.0"


def _numpy_without_hugepages() -> None:
    """Ask numpy not to madvise its large arrays into transparent huge pages, unless the
    user set NUMPY_MADVISE_HUGEPAGE. Where the kernel compacts memory on such a fault
    (THP defrag "madvise", the usual default) on a fragmented machine, a fresh 150 MB array
    took ~2 s instead of ~0.1 s here, and the 100k-note graph build 26-30 s instead of 23-26
    s (README, Benchmarks). numpy reads the variable when it is imported; if it already was,
    its switch is flipped (a private function, used only when present)."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"  # also for the worker processes started later
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        switch = getattr(getattr(getattr(numpy, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
        if switch is not None:
            switch(False)


_numpy_without_hugepages()
