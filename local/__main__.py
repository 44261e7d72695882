import sys

from local.runner import main

sys.exit(main())
