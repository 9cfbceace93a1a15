"""Read-only analytics for leads: SQL queries, pandas metrics, Plotly charts."""
