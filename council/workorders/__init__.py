"""Departments and work orders (转办 · 工单): referral to 结案, 吹哨报到, scorecards."""
