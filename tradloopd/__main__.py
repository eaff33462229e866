"""`python -m tradloopd` is the `tradloopd` command."""

import sys

from tradloopd.cli import main

sys.exit(main())
