"""``python -m ingest``: the same as the ``ingest`` command."""

from __future__ import annotations

__all__: list[str] = []

from ingest.cli import main

if __name__ == "__main__":
    main()
