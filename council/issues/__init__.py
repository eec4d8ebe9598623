"""Issue intake (议题征集): 诉求 and 提议, co-signs, triage, calls for suggestions."""
