"""Feedback: suggestions, support requests, surveys and announcements."""
