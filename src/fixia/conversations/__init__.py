"""Conversations between a client and a professional, tied to a proposal, request or job."""
