"""The engine where the data lives: the per-customer summary computed in SQL by the system
that holds the transactions (DuckDB over files, the bot's own database), so only one row
per customer, or one per group of customers, ever reaches Python."""
