"""appraise."""
