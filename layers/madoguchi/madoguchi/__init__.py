"""Shared domain package of madoguchi, deployed to every function as a Lambda layer."""
