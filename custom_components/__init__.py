"""Custom integrations for Home Assistant shipped by this repository."""
