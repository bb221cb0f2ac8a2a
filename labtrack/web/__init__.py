"""What every page shares: request security, the access policy, pagination, i18n, helpers."""
