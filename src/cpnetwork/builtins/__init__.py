"""Built-in behaviour, registered as plugins through the same hooks third parties use."""
