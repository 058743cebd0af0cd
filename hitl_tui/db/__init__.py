"""Connecting to MongoDB: the embedded server's lifecycle, clients, indexes."""
