"""Embedded local stack: moto as local AWS, provisioned from template.yaml, with the
project's Lambda handlers running in-process."""
