"""WTForms forms, one per action."""
