"""`python -m notesgraph` runs the same command as `notesgraph`."""

import sys

from notesgraph.cli import main

sys.exit(main())
