"""``python -m cpnetwork``: the same as the ``cpnetwork`` command."""

from cpnetwork.cli import main

if __name__ == "__main__":
    main()
