"""People, sign-in, sessions and throttles."""
