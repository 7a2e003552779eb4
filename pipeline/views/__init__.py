"""Views around a target: cameras, view selection, off-screen renders, views.json."""
