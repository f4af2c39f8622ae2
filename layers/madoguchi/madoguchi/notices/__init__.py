"""Notices (許可証・受理通知・不許可通知): PDFs issued on a decision, without an official seal.

A verification code, the SHA-256 of the PDF and an optional PAdES signature replace the seal.
"""
