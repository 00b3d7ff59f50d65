"""UI tests: the Textual app driven by Pilot over the real services and demo broker."""
