"""Below everything: errors, the report's data types and text utilities."""
