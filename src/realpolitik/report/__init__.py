"""Reports: text tables, plots and HTML from result JSON (never computes a forecast)."""
