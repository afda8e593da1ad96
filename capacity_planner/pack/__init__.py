"""Planning packs: the schema, reading, validation, writing and the sample generator."""
