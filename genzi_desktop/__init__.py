"""GenZI Desktop: the Qt application (windows, panels, viewport, worker); no math here."""
