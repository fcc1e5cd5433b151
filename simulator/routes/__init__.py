"""Dashboard API and media routes, one module per resource."""
