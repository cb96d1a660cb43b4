"""Plumbing every app may use and that knows no app."""
