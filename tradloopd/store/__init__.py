"""Durable state: the sqlite journal of order intents and events, and its derived tables."""
