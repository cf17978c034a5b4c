"""Staff accounts: creating, finding, authenticating and disabling them; login throttling."""
