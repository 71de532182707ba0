"""Consent records: what a patient agreed to (treatment, neurofeedback, blinded sessions, research), and withdrawals."""
