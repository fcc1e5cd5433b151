"""Clips: plan a span into API-sized parts, fetch and join them, defer what is too recent, reply."""
