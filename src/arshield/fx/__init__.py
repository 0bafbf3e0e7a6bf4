"""Foreign-exchange rate tables: per-organisation rates, lookups and exact conversion."""
