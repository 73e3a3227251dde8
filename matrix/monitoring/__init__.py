"""Operating Affiliate Matrix: the Prometheus configuration for this installation."""
