"""Make the collection importable as ansible_collections.dct.trust_stack for unit tests."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINKS = ROOT / 'build' / 'collections'
if LINKS.is_dir() and str(LINKS) not in sys.path:
    sys.path.insert(0, str(LINKS))
