"""公示 and 异议: notices, periods, objections and answers (for workflows, conventions, calls)."""
