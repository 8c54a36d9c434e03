"""Pure readers of project files: plain data with the file and line of each fact; they never predict."""
