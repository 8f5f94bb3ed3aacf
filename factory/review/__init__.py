"""Human review: pair building, database-backed queues with leases, gold, adjudication."""
