"""Accounts: people, sign-in, electronic signatures, API tokens and in-app notices."""
