"""Community Q&A and the engagement engine: points ledger, badges, leaderboards."""
