"""`python -m emulator`: both emulators wired together; see `emulator.cli` and the README."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
