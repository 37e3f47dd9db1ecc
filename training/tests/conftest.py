"""Make `vidlet_train` importable however pytest is started (CI runs it from the repo root,
where training/ is not on sys.path)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
