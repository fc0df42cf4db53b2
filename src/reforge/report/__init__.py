"""Report building: self-contained HTML with embedded plots."""
