"""The kill wing: the safety check before a port holder is stopped (identity, protected
owners, another user's processes) and the two-step kill itself."""
