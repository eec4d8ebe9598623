"""To-do queries, in-app notifications and their delivery channels."""
