"""The monthly payroll: due amounts into the ledger, with arrears, recovery and funeral support."""
