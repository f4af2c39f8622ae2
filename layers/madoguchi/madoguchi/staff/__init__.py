"""Staff features: sign-in through OpenID Connect, the approval queue and exports."""
