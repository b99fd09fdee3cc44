"""ftlint's integrations (installed as `ftlint_plugins`), registered through entry points."""
