"""The ``flowgate`` command line (``main``) and what its subcommands and ``sam_hook`` share (``common``)."""
