"""ftlint's own sub-commands that register through the `ftlint_add_commands` hook, like a plugin's."""
