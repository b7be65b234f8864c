"""Make `ansible_collections.wsl.cuda` importable from a checkout (.collections links back here)."""

import os
import sys

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(repo, ".collections"))
