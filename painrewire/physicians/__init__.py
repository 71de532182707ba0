"""The patient's own doctors outside the clinic (GP, referring doctor) and whether letters may go to them."""
