"""Approval route (電子決裁): approval tasks, approver e-mails and decisions."""
