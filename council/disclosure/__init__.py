"""Public disclosure (公开): the council's front page, printed notices and what else shows its
work to people who never attend a meeting."""
