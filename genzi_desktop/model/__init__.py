"""The Qt-free document of the desktop app: design edits (undoable) and the project file."""
