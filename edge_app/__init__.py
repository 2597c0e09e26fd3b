"""Edge Uploader: offline store-and-forward client for the card payment gateway."""

__version__ = "0.1.0"
