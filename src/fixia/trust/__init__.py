"""Trust: verification requests, the trust score from real data, levels, badges and stats."""
