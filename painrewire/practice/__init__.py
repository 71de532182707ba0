"""Practice done in any therapy module: the module vocabulary, the one log and the one way to write it."""
