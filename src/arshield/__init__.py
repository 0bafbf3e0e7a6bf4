"""arshield: accounts-receivable protection platform."""

__version__ = "0.1.0"
