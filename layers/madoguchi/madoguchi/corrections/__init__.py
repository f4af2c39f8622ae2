"""Corrections by the resident: resubmission after a return (差し戻し) and withdrawal (取下げ)."""
