"""ftlint's built-in rules, installed as `ftlint_rules` and registered through the `ftlint`
entry-point group like any third-party plugin (see pyproject.toml)."""
