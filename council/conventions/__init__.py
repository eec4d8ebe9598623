"""Conventions (公约): drafting by article, comments, versions, adoption by ballot."""
