"""HTTP layer helpers shared by the API function: JSON and HTML responses, pages, OpenAPI."""
