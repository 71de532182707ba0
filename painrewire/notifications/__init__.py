"""Notifications: email through a transactional outbox, and scheduled jobs, run by one worker."""
