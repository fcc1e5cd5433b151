"""The command handlers: one module per command family, holding its grammar, help and handler.

The language they share (tokens, times, lengths, usage) is the leaf package `bot.grammar`;
`registry.py` registers every command on the router explicitly.
"""
