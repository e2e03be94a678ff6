"""The subcommands of :mod:`refsim.cli`, grouped by what they act on."""
