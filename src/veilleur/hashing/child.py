"""Entry point of a hashing worker process: ``python -m veilleur.hashing.child``.

Kept apart from :mod:`veilleur.hashing.worker` so that running it never finds itself already
imported by the package.
"""

from veilleur.hashing.worker import child_main

if __name__ == "__main__":
    child_main()
