"""Progressive delivery: releases, blue-green and canary deploys, analysis and rollback."""
