"""ucm: the UCM-Color back-office domain library shared by every Function Compute function."""

__version__ = "0.1.0"
