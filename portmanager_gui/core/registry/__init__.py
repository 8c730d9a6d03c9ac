"""The registry wing: the model (frozen values), strict loading, comment-keeping saves,
the first-run defaults, checks of an edit before it is saved, and lint warnings."""
