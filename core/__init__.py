"""Plumbing shared by the apps that knows none of them."""
