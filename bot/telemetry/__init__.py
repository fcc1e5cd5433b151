"""What mvbot tells its operators: structured, redacting logs and the counters at /metrics."""
