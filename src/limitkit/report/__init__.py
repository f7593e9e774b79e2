"""The whole study in one command and the report a researcher reads."""
