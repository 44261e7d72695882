"""Inventory (issue 5): the stock ledger, balances, moves and available-to-sell."""
