"""``python -m lstmlab ...`` is the ``lstmlab`` command."""

import sys

from lstmlab.pipeline.cli import main

sys.exit(main())
