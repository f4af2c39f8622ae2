"""Attachments: presigned uploads to a quarantine prefix, checks on arrival, staff downloads.

A file travels ``quarantine/<upload id>`` → checked by the validation function →
``accepted/<upload id>`` (images re-encoded without metadata, HEIC as JPEG) or
deleted and marked rejected with a reason. Answers refer to files by upload id.
"""
