"""Identity and access: users, roles, data scope, sessions, API keys (issue 3)."""
