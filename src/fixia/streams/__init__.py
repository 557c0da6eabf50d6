"""Per-user event streams (Server-Sent Events): stored events, a broker, the SSE loop."""
